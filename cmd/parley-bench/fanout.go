package main

import (
	"context"
	"flag"
	"log"
	"sync/atomic"
	"time"
)

// fanoutScenario measures how long a message takes to reach each of many
// connected receivers.
type fanoutScenario struct {
	receivers   int
	rates       rateList
	duration    time.Duration
	grace       time.Duration
	maxInFlight int
}

// flags registers the fanout flags.
func (s *fanoutScenario) flags(fs *flag.FlagSet) {
	s.rates = rateList{20, 50}
	fs.IntVar(&s.receivers, "receivers", 1000, "connections listening on the channel")
	fs.Var(&s.rates, "rates", "messages published a second, one step each")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "length of each step")
	fs.DurationVar(&s.grace, "grace", 2*time.Second, "wait after the last publish before counting what is lost")
	fs.IntVar(&s.maxInFlight, "max-in-flight", 100, "publishes waiting at once; one more counts as an error")
}

// fanoutStep is the step deliveries are counted into. A delivery of a
// message sent before the step began is a straggler of an earlier step, and
// is not counted at all.
type fanoutStep struct {
	start time.Time
	rec   *Recorder
}

// run connects the receivers once, then publishes at each rate.
//
// A result's latencies are delivery latencies (arrival at a receiver minus
// the send time the message carries), Ops the deliveries, Rate deliveries a
// second of publishing, and Errors the publishes that failed. Extra holds
// "expected" (successful publishes times receivers), "lost" (expected
// deliveries that had not arrived a grace period after the last publish)
// and the publishes' own p99 as "publish_p99_ms".
//
// The send time is taken when the publish starts, not when it was due: at
// tens of messages a second the tool is never behind, and the publish's
// own latency is reported apart.
func (s *fanoutScenario) run(ctx context.Context, b *bench) error {
	if s.receivers < 1 || s.duration <= 0 || s.maxInFlight < 1 {
		return usagef("fanout: --receivers, --duration and --max-in-flight must be positive")
	}
	t, err := b.Target()
	if err != nil {
		return err
	}
	f, ok := t.(Fanout)
	if !ok {
		return b.lacks("fan messages out")
	}

	var step atomic.Pointer[fanoutStep]
	got := func(sentAt time.Time) {
		st := step.Load()
		if st != nil && !sentAt.Before(st.start) {
			st.rec.Observe(time.Since(sentAt), nil)
		}
	}
	log.Printf("fanout: connecting %d receivers", s.receivers)
	if err := f.ConnectReceivers(ctx, s.receivers, got); err != nil {
		return err
	}
	defer f.Close()

	for _, rate := range s.rates {
		st := &fanoutStep{start: time.Now(), rec: &Recorder{}}
		step.Store(st)
		pubs, elapsed := OpenLoop(ctx, rate, s.duration, s.maxInFlight,
			func(ctx context.Context, _ int) error { return f.Publish(ctx, time.Now()) })
		if !sleep(ctx, s.grace) {
			return ctx.Err()
		}
		step.Store(nil)

		sent := pubs.Result("", "", "", elapsed)
		res := st.rec.Result(b.scenario, b.targetName, rateLabel(rate), elapsed)
		res.Errors, res.FirstErr = sent.Errors, sent.FirstErr
		expected := sent.Ops * s.receivers
		res.Extra = map[string]float64{
			"expected":       float64(expected),
			"lost":           float64(max(0, expected-res.Ops)),
			"publish_p99_ms": sent.P99,
		}
		b.emit(res)
	}
	return nil
}
