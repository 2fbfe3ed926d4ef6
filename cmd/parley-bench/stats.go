package main

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Recorder collects latencies and errors from many goroutines.
type Recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	firstErr  error
}

// Observe records one operation: its latency if it succeeded, its error
// otherwise.
func (r *Recorder) Observe(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.latencies = append(r.latencies, d)
}

// Result is what a run measured. Rates are per second of the run.
type Result struct {
	Scenario string  `json:"scenario"`
	Target   string  `json:"target"`
	Label    string  `json:"label,omitempty"` // the step: a rate, a count
	Ops      int     `json:"ops"`
	Errors   int     `json:"errors"`
	Rate     float64 `json:"rate"` // successful operations a second
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	// Extra holds a scenario's own figures (bytes per connection, …).
	Extra    map[string]float64 `json:"extra,omitempty"`
	FirstErr string             `json:"first_error,omitempty"`
}

// Result summarizes what r recorded over a run of the given length.
func (r *Recorder) Result(scenario, target, label string, elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Scenario: scenario, Target: target, Label: label, Ops: len(r.latencies), Errors: r.errors}
	if elapsed > 0 {
		res.Rate = float64(len(r.latencies)) / elapsed.Seconds()
	}
	if r.firstErr != nil {
		res.FirstErr = r.firstErr.Error()
	}
	if len(r.latencies) > 0 {
		l := slices.Clone(r.latencies)
		slices.Sort(l)
		res.P50 = ms(percentile(l, 0.50))
		res.P99 = ms(percentile(l, 0.99))
		res.Max = ms(l[len(l)-1])
	}
	return res
}

// percentile returns the q-th quantile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// String formats a result as one line for people.
func (r Result) String() string {
	s := fmt.Sprintf("%-9s %-10s %-10s ops=%-8d err=%-5d rate=%-10.1f p50=%.2fms p99=%.2fms max=%.2fms",
		r.Scenario, r.Target, r.Label, r.Ops, r.Errors, r.Rate, r.P50, r.P99, r.Max)
	for k, v := range r.Extra {
		s += fmt.Sprintf(" %s=%.1f", k, v)
	}
	if r.FirstErr != "" {
		s += " first_error=" + r.FirstErr
	}
	return s
}
