package main

import (
	"context"
	"flag"
	"log"
	"time"
)

// sendScenario steps up the rate of persisted sends until the server
// fails, and reports the highest rate it served within the latency goal.
type sendScenario struct {
	rates       rateList
	duration    time.Duration
	users       int
	maxInFlight int
	slo         time.Duration
	stopP99     time.Duration
	pause       time.Duration
	warmup      time.Duration
}

// flags registers the send flags.
func (s *sendScenario) flags(fs *flag.FlagSet) {
	s.rates = rateList{1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000}
	fs.Var(&s.rates, "rates", "sends a second, one step each, in order")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "length of each step")
	fs.IntVar(&s.users, "users", 100, "users who send, in turn")
	fs.IntVar(&s.maxInFlight, "max-in-flight", 1000, "sends waiting at once; one more counts as an error")
	fs.DurationVar(&s.slo, "slo", 20*time.Millisecond, "p99 a step must stay within to count for best_rate")
	fs.DurationVar(&s.stopP99, "stop-p99", 200*time.Millisecond, "stop stepping up after a step with a p99 beyond this")
	fs.DurationVar(&s.pause, "pause", 2*time.Second, "rest between steps, for the server to drain")
	fs.DurationVar(&s.warmup, "warmup", 3*time.Second, "send at the first rate this long, unmeasured, before the first step")
}

// run measures each rate in turn, then emits the best one again with the
// label "best" and Extra best_rate (0 when no step met the goal).
func (s *sendScenario) run(ctx context.Context, b *bench) error {
	if s.users < 1 || s.duration <= 0 || s.maxInFlight < 1 {
		return usagef("send: --users, --duration and --max-in-flight must be positive")
	}
	t, err := b.Target()
	if err != nil {
		return err
	}
	sender, ok := t.(Sender)
	if !ok {
		return b.lacks("send messages")
	}
	log.Printf("send: preparing %d users", s.users)
	if err := sender.PrepareSend(ctx, s.users); err != nil {
		return err
	}

	// A warm-up at the first rate opens the connections a steady load
	// keeps open, and fills the server's caches, before anything counts:
	// otherwise the first step measures a burst of new TCP connections
	// arriving at once, which no long-running client makes.
	if s.warmup > 0 && len(s.rates) > 0 {
		log.Printf("send: warming up at %.0f/s for %s", s.rates[0], s.warmup)
		rec, elapsed := OpenLoop(ctx, s.rates[0], s.warmup, s.maxInFlight, sender.Send)
		log.Printf("send: warm-up: %s", rec.Result(b.scenario, b.targetName, "warmup", elapsed))
		if !sleep(ctx, s.pause) {
			return ctx.Err()
		}
	}

	best := Result{Scenario: b.scenario, Target: b.targetName, Label: "best"}
	bestRate := 0.0
	for i, rate := range s.rates {
		if i > 0 && !sleep(ctx, s.pause) {
			break
		}
		rec, elapsed := OpenLoop(ctx, rate, s.duration, s.maxInFlight, sender.Send)
		res := rec.Result(b.scenario, b.targetName, rateLabel(rate), elapsed)
		b.emit(res)
		if ctx.Err() != nil {
			return ctx.Err()
		}

		if res.Errors == 0 && res.P99 <= ms(s.slo) && rate > bestRate {
			best, bestRate = res, rate
			best.Label = "best"
		}
		if res.Errors > 0 || res.P99 > ms(s.stopP99) {
			log.Printf("send: stopping after %s (errors=%d, p99=%.1f ms)", res.Label, res.Errors, res.P99)
			break
		}
	}
	best.Extra = map[string]float64{"best_rate": bestRate}
	b.emit(best)
	return nil
}

// sleep waits for d, and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
