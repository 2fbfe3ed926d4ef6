package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"
)

// idleScenario measures what idle connections cost the server in memory.
type idleScenario struct {
	conns  int
	pid    int
	settle time.Duration
	hold   time.Duration
}

// flags registers the idle flags.
func (s *idleScenario) flags(fs *flag.FlagSet) {
	fs.IntVar(&s.conns, "conns", 10000, "idle connections to open")
	fs.IntVar(&s.pid, "pid", 0, "the server's process ID, whose VmRSS is read (0: memory is not measured)")
	fs.DurationVar(&s.settle, "settle", 3*time.Second, "wait after connecting before reading memory")
	fs.DurationVar(&s.hold, "hold", 0, "keep the connections open this much longer, to look at the server")
}

// run opens the connections, and reports how fast they opened and, with
// --pid, the server's memory before and after. Extra holds rss_before_mb,
// rss_after_mb and kb_per_conn.
//
// The memory is the server's resident set, as the kernel counts it: the
// Go heap the connections hold, their goroutine stacks, and heap freed but
// not yet returned to the system. The settle time gives the server's
// garbage collector a chance to run; the tool cannot force it.
func (s *idleScenario) run(ctx context.Context, b *bench) error {
	if s.conns < 1 {
		return usagef("idle: --conns must be positive")
	}
	t, err := b.Target()
	if err != nil {
		return err
	}
	idler, ok := t.(Idler)
	if !ok {
		return b.lacks("hold idle connections")
	}

	if prep, ok := idler.(IdlePreparer); ok {
		log.Printf("idle: preparing %d connections", s.conns)
		if err := prep.PrepareIdle(ctx, s.conns); err != nil {
			return err
		}
	}
	before, err := s.rss()
	if err != nil {
		return err
	}
	log.Printf("idle: opening %d connections", s.conns)
	start := time.Now()
	if err := idler.ConnectIdle(ctx, s.conns); err != nil {
		idler.Close()
		return err
	}
	elapsed := time.Since(start)
	defer idler.Close()
	log.Printf("idle: %d connections open in %s; settling for %s", s.conns, elapsed.Round(time.Millisecond), s.settle)
	if !sleep(ctx, s.settle) {
		return ctx.Err()
	}
	after, err := s.rss()
	if err != nil {
		return err
	}

	res := Result{Scenario: b.scenario, Target: b.targetName, Label: strconv.Itoa(s.conns) + " conns",
		Ops: s.conns, Rate: float64(s.conns) / elapsed.Seconds()}
	if s.pid != 0 {
		res.Extra = map[string]float64{
			"rss_before_mb": float64(before) / 1024,
			"rss_after_mb":  float64(after) / 1024,
			"kb_per_conn":   float64(after-before) / float64(s.conns),
		}
	}
	b.emit(res)
	if s.hold > 0 {
		log.Printf("idle: holding the connections for %s", s.hold)
		sleep(ctx, s.hold)
	}
	return nil
}

// rss returns the server's resident memory in KiB, or 0 without --pid.
func (s *idleScenario) rss() (int64, error) {
	if s.pid == 0 {
		return 0, nil
	}
	return readRSS(s.pid)
}

// readRSS reads VmRSS, in KiB, from /proc/PID/status.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("server memory: VmRSS %q: %w", v, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("server memory: no VmRSS in /proc/%d/status", pid)
}
