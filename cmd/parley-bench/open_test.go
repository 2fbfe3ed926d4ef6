package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenLoop checks that an open loop makes rate × duration calls, counts
// failures as errors, and stops when its context ends.
func TestOpenLoop(t *testing.T) {
	t.Run("Counts", func(t *testing.T) {
		var calls atomic.Int64
		rec, elapsed := OpenLoop(context.Background(), 200, 250*time.Millisecond, 10,
			func(context.Context, int) error {
				if calls.Add(1)%5 == 0 {
					return errors.New("every fifth fails")
				}
				return nil
			})
		r := rec.Result("t", "t", "", elapsed)
		if calls.Load() != 50 || r.Ops != 40 || r.Errors != 10 {
			t.Errorf("calls=%d Ops=%d Errors=%d, want 50 40 10", calls.Load(), r.Ops, r.Errors)
		}
	})

	t.Run("TooManyInFlight", func(t *testing.T) {
		release := make(chan struct{})
		done := make(chan *Recorder)
		go func() {
			rec, _ := OpenLoop(context.Background(), 1000, 10*time.Millisecond, 2,
				func(context.Context, int) error { <-release; return nil })
			done <- rec
		}()
		time.Sleep(50 * time.Millisecond)
		close(release)
		r := (<-done).Result("t", "t", "", time.Second)
		if r.Ops != 2 || r.Errors != 8 || r.FirstErr != errTooManyInFlight.Error() {
			t.Errorf("Ops=%d Errors=%d FirstErr=%q, want 2 8 %q", r.Ops, r.Errors, r.FirstErr, errTooManyInFlight)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		rec, elapsed := OpenLoop(ctx, 100, 10*time.Second, 10,
			func(context.Context, int) error { return nil })
		r := rec.Result("t", "t", "", elapsed)
		if elapsed > time.Second || r.Ops > 10 {
			t.Errorf("elapsed=%s Ops=%d, want the loop to stop with its context", elapsed, r.Ops)
		}
	})
}
