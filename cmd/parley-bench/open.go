package main

import (
	"context"
	"sync"
	"time"
)

// OpenLoop calls op at a fixed rate for the given duration, each call in a
// goroutine of its own, whether earlier calls have returned or not: the
// load of many independent users, not of one waiting for each answer. A
// call's latency counts from when it was due, not from when it started, so
// that a server that falls behind is charged for the wait it causes
// (coordinated omission). At most maxInFlight calls run at once; a call due
// while that many run is counted as an error, as a user would see a
// timeout.
func OpenLoop(ctx context.Context, rate float64, d time.Duration, maxInFlight int,
	op func(ctx context.Context, i int) error) (*Recorder, time.Duration) {
	rec := &Recorder{}
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d.Seconds() * rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup

	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				i = n
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			rec.Observe(0, errTooManyInFlight)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := op(ctx, i)
			rec.Observe(time.Since(due), err)
		}()
	}
	wg.Wait()
	return rec, time.Since(start)
}

// errTooManyInFlight is the error of a call that could not start.
var errTooManyInFlight = errorString("too many calls in flight")

// errorString is an error of a constant text.
type errorString string

func (e errorString) Error() string { return string(e) }
