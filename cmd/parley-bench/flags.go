package main

import (
	"fmt"
	"strconv"
	"strings"
)

// optionFlag collects repeated --opt key=value flags. A value may itself
// list several pairs, separated by commas: --opt channel=C1,workspace=W1.
type optionFlag map[string]string

// String lists the options, for flag's help text.
func (o optionFlag) String() string {
	var pairs []string
	for k, v := range o {
		pairs = append(pairs, k+"="+v)
	}
	return strings.Join(pairs, ",")
}

// Set adds the pairs of one --opt flag.
func (o optionFlag) Set(s string) error {
	for pair := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", pair)
		}
		o[strings.TrimSpace(k)] = v
	}
	return nil
}

// rateList is a flag holding rates a second, such as 1000,2000,5000.
type rateList []float64

// String lists the rates, for flag's help text.
func (r *rateList) String() string {
	var s []string
	for _, v := range *r {
		s = append(s, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return strings.Join(s, ",")
}

// Set replaces the rates with those listed in s.
func (r *rateList) Set(s string) error {
	var rates []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("want positive numbers separated by commas, got %q", f)
		}
		rates = append(rates, v)
	}
	*r = rates
	return nil
}

// rateLabel is the label of a result measured at rate: "2000/s".
func rateLabel(rate float64) string {
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
}
