package main

import (
	"slices"
	"testing"
)

// TestOptionFlag checks repeated and comma-separated --opt flags.
func TestOptionFlag(t *testing.T) {
	o := optionFlag{}
	for _, s := range []string{"run=r1", "channel=C1,workspace=W1"} {
		if err := o.Set(s); err != nil {
			t.Fatalf("Set(%q): %v", s, err)
		}
	}
	if o["run"] != "r1" || o["channel"] != "C1" || o["workspace"] != "W1" {
		t.Errorf("options=%v, want run, channel and workspace", o)
	}
	if err := o.Set("novalue"); err == nil {
		t.Errorf("Set(%q)=nil, want an error", "novalue")
	}
}

// TestRateList checks the parsing of --rates.
func TestRateList(t *testing.T) {
	var r rateList
	if err := r.Set("500, 1000,2.5"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if want := []float64{500, 1000, 2.5}; !slices.Equal(r, want) {
		t.Errorf("rates=%v, want %v", r, want)
	}
	for _, bad := range []string{"", "0", "x", "10,-1"} {
		if err := r.Set(bad); err == nil {
			t.Errorf("Set(%q)=nil, want an error", bad)
		}
	}
}
