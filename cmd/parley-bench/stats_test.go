package main

import (
	"errors"
	"testing"
	"time"
)

// TestPercentile checks the nearest-rank quantiles of a few sorted lists.
func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"One", []time.Duration{7}, 0.99, 7},
		{"MedianOfHundred", hundred, 0.50, 50 * time.Millisecond},
		{"P99OfHundred", hundred, 0.99, 99 * time.Millisecond},
		{"MaxOfHundred", hundred, 1, 100 * time.Millisecond},
		{"P99OfThree", []time.Duration{1, 2, 3}, 0.99, 3},
		{"ZeroQuantile", []time.Duration{1, 2, 3}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("percentile(%v)=%v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

// TestRecorderResult checks that a result counts errors apart from
// latencies and keeps the first error.
func TestRecorderResult(t *testing.T) {
	rec := &Recorder{}
	for i := range 10 {
		rec.Observe(time.Duration(i+1)*time.Millisecond, nil)
	}
	rec.Observe(0, errors.New("first"))
	rec.Observe(0, errors.New("second"))

	r := rec.Result("send", "parley", "10/s", time.Second)
	if r.Ops != 10 || r.Errors != 2 || r.FirstErr != "first" {
		t.Errorf("Ops=%d Errors=%d FirstErr=%q, want 10 2 %q", r.Ops, r.Errors, r.FirstErr, "first")
	}
	if r.Rate != 10 || r.P50 != 5 || r.Max != 10 {
		t.Errorf("Rate=%v P50=%v Max=%v, want 10 5 10", r.Rate, r.P50, r.Max)
	}
}
