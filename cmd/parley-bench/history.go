package main

import (
	"context"
	"flag"
	"log"
	"time"
)

// historyScenario measures reading the newest page of a long channel.
type historyScenario struct {
	messages    int
	rate        float64
	duration    time.Duration
	maxInFlight int
}

// flags registers the history flags.
func (s *historyScenario) flags(fs *flag.FlagSet) {
	fs.IntVar(&s.messages, "messages", 1000000, "messages the channel must hold")
	fs.Float64Var(&s.rate, "rate", 200, "reads a second")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "length of the run")
	fs.IntVar(&s.maxInFlight, "max-in-flight", 1000, "reads waiting at once; one more counts as an error")
}

// run prepares the channel, then reads its newest 50 messages at the rate.
// Extra "messages" is how many the channel holds.
func (s *historyScenario) run(ctx context.Context, b *bench) error {
	if s.messages < 1 || s.rate <= 0 || s.duration <= 0 || s.maxInFlight < 1 {
		return usagef("history: --messages, --rate, --duration and --max-in-flight must be positive")
	}
	t, err := b.Target()
	if err != nil {
		return err
	}
	h, ok := t.(HistoryReader)
	if !ok {
		return b.lacks("read history")
	}
	held, err := h.PrepareHistory(ctx, s.messages)
	if err != nil {
		return err
	}
	log.Printf("history: the channel holds %d messages; reading at %g/s", held, s.rate)

	rec, elapsed := OpenLoop(ctx, s.rate, s.duration, s.maxInFlight,
		func(ctx context.Context, _ int) error { return h.ReadNewest(ctx) })
	res := rec.Result(b.scenario, b.targetName, rateLabel(s.rate), elapsed)
	res.Extra = map[string]float64{"messages": float64(held)}
	b.emit(res)
	return ctx.Err()
}
