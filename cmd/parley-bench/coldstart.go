package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// coldstartScenario measures how long a server takes from its start to its
// first ready answer. It needs no target: it runs any command line.
type coldstartScenario struct {
	cmd     string
	ready   string
	runs    int
	timeout time.Duration
	pause   time.Duration
}

// flags registers the coldstart flags.
func (s *coldstartScenario) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.cmd, "cmd", "", "command line that starts the server, run by sh -c (required)")
	fs.StringVar(&s.ready, "ready", "", "URL polled every 2 ms until it answers 200 (required)")
	fs.IntVar(&s.runs, "runs", 5, "starts to measure")
	fs.DurationVar(&s.timeout, "timeout", 30*time.Second, "give up on a start after this long")
	fs.DurationVar(&s.pause, "pause", 500*time.Millisecond, "rest between a stop and the next start")
}

// run starts, waits for readiness, and stops the server --runs times. The
// latencies are the times to the first 200, in ms.
//
// Pass a built binary, not "go run": go run would time the compiler, and
// its child would outlive the signal. The command runs in a process group
// of its own, and SIGTERM goes to the whole group, so that sh -c and what it
// starts both stop.
func (s *coldstartScenario) run(ctx context.Context, b *bench) error {
	if s.cmd == "" || s.ready == "" || s.runs < 1 {
		return usagef("coldstart: --cmd and --ready are required, --runs must be positive")
	}
	client := &http.Client{Timeout: 200 * time.Millisecond}
	rec := &Recorder{}
	start := time.Now()
	for i := range s.runs {
		if i > 0 && !sleep(ctx, s.pause) {
			return ctx.Err()
		}
		d, err := s.once(ctx, client)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		log.Printf("coldstart: run %d ready in %s", i+1, d.Round(time.Microsecond))
		rec.Observe(d, nil)
	}
	res := rec.Result(b.scenario, b.targetName, strconv.Itoa(s.runs)+" runs", time.Since(start))
	res.Rate = 0 // starts a second would mean nothing here
	b.emit(res)
	return nil
}

// once starts the command, waits until it is ready, stops it and returns
// the time to ready.
func (s *coldstartScenario) once(ctx context.Context, client *http.Client) (time.Duration, error) {
	cmd := exec.Command("sh", "-c", s.cmd)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stopGroup(cmd.Process.Pid, exited)

	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok := poll(client, s.ready); ok {
			return time.Since(start), nil
		}
		select {
		case err := <-exited:
			exited <- err // for stopGroup
			return 0, fmt.Errorf("the server exited before it was ready: %v", err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
		if time.Since(start) > s.timeout {
			return 0, errors.New("not ready within " + s.timeout.String())
		}
	}
}

// poll reports whether url answers 200.
func poll(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stopGroup sends SIGTERM to the process group pgid and waits until every
// process of it has exited, not only its leader: sh may die first, and a
// server still closing would hold the port for the next start. What is
// still there after 10 s is killed.
func stopGroup(pgid int, exited <-chan error) {
	syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.After(10 * time.Second)
	select {
	case <-exited:
	case <-deadline:
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
	}

	for i := 0; syscall.Kill(-pgid, 0) == nil; i++ {
		if i == 2000 { // 10 s of 5 ms
			log.Printf("coldstart: process group %d outlived SIGTERM; killing it", pgid)
			syscall.Kill(-pgid, syscall.SIGKILL)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
