package main

import (
	"context"
	"flag"
	"log"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connectScenario measures how fast the server accepts and authenticates
// new connections.
type connectScenario struct {
	users       int
	concurrency int
	duration    time.Duration
}

// flags registers the connect flags.
func (s *connectScenario) flags(fs *flag.FlagSet) {
	fs.IntVar(&s.users, "users", 50, "users who connect, in turn")
	fs.IntVar(&s.concurrency, "concurrency", 50, "connections being opened at once")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "length of the run")
}

// run keeps --concurrency connections in the making for the duration: as
// soon as one is done (open, authenticated, first frame read, closed), its
// worker starts the next. The rate is what the server sustains; a latency
// is a connection's whole life.
//
// It is closed loop, unlike the other scenarios: connection set-up is
// bounded by CPU on both sides, and an open loop past that rate would
// only measure a queue of half-open sockets.
func (s *connectScenario) run(ctx context.Context, b *bench) error {
	if s.users < 1 || s.concurrency < 1 || s.duration <= 0 {
		return usagef("connect: --users, --concurrency and --duration must be positive")
	}
	t, err := b.Target()
	if err != nil {
		return err
	}
	c, ok := t.(Connector)
	if !ok {
		return b.lacks("open connections")
	}
	log.Printf("connect: preparing %d users", s.users)
	if err := c.PrepareConnect(ctx, s.users); err != nil {
		return err
	}

	rec := &Recorder{}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(s.duration)
	for range s.concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				t0 := time.Now()
				err := c.ConnectOnce(ctx, i)
				rec.Observe(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	res := rec.Result(b.scenario, b.targetName, strconv.Itoa(s.concurrency)+" at once", time.Since(start))
	b.emit(res)
	return ctx.Err()
}
