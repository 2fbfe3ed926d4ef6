package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"
)

// seedScenario writes a Slack export for the history scenario. It measures
// nothing and needs no target.
type seedScenario struct {
	out    string
	export seedExport
}

// flags registers the seed-export flags.
func (s *seedScenario) flags(fs *flag.FlagSet) {
	fs.StringVar(&s.out, "out", "", "folder to write the export into (required; created)")
	fs.IntVar(&s.export.Messages, "messages", 1000000, "messages in the channel")
	fs.IntVar(&s.export.Users, "users", 5, "users who wrote them, bench-seed-0@example.com and on")
	fs.IntVar(&s.export.PerDay, "per-day", 1000, "messages per day file")
	fs.StringVar(&s.export.Channel, "channel", "history", "the channel's name")
}

// run writes the export and says how to load it.
func (s *seedScenario) run(ctx context.Context, b *bench) error {
	if s.out == "" {
		return usagef("seed-export: --out is required")
	} else if s.export.Messages < 1 || s.export.Users < 1 || s.export.PerDay < 1 {
		return usagef("seed-export: --messages, --users and --per-day must be positive")
	}
	start := time.Now()
	if err := s.export.Write(ctx, s.out); err != nil {
		return err
	}
	log.Printf("seed-export: %d messages in #%s written to %s in %s", s.export.Messages,
		s.export.Channel, s.out, time.Since(start).Round(time.Millisecond))
	log.Printf("seed-export: load it with: parley import slack %s --db FILE; "+
		"then log in as %s (see parley-bench's doc)", s.out, seedEmail(0))
	return nil
}

// seedExport is the shape of a synthetic export: one public channel in
// which Users people wrote Messages messages, a minute apart, PerDay to a
// day file. Every user is a member of it. The export holds what the
// importer needs and nothing else: no threads, reactions or files.
type seedExport struct {
	Messages int
	Users    int
	PerDay   int
	Channel  string
}

// seedEpoch is the first message's time. Fixed, so that an export written
// again imports as the same messages (the importer keys them by ts).
var seedEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// seedEmail is the email of the i-th user of a seeded export.
func seedEmail(i int) string { return fmt.Sprintf("bench-seed-%d@example.com", i) }

// slackMessage is a message as a Slack export's day file holds it.
type slackMessage struct {
	Type string `json:"type"`
	User string `json:"user"`
	Text string `json:"text"`
	TS   string `json:"ts"`
}

// Write writes the export into the folder dir, which it creates.
func (e seedExport) Write(ctx context.Context, dir string) error {
	var users []map[string]any
	var members []string
	for i := range e.Users {
		id := fmt.Sprintf("UBENCH%04d", i)
		members = append(members, id)
		users = append(users, map[string]any{
			"id": id, "name": fmt.Sprintf("bench%d", i), "is_owner": i == 0,
			"profile": map[string]any{"email": seedEmail(i), "display_name": fmt.Sprintf("bench%d", i)},
		})
	}
	channels := []map[string]any{{
		"id": "CBENCHHIST", "name": e.Channel, "created": seedEpoch.Unix(),
		"creator": members[0], "members": members,
	}}
	if err := writeJSON(filepath.Join(dir, "users.json"), users); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "channels.json"), channels); err != nil {
		return err
	}

	for day := 0; day*e.PerDay < e.Messages; day++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(e.PerDay, e.Messages-day*e.PerDay)
		msgs := make([]slackMessage, n)
		for i := range msgs {
			msgs[i] = e.message(day*e.PerDay+i, members)
		}
		date := seedEpoch.AddDate(0, 0, day).Format("2006-01-02")
		if err := writeJSON(filepath.Join(dir, e.Channel, date+".json"), msgs); err != nil {
			return err
		}
	}
	return nil
}

// message returns the k-th message of the channel. Its day is k/PerDay and
// it comes a minute after the one before within that day (ts keeps k in
// its fraction, so no two are alike even when PerDay exceeds a day's
// minutes). Texts vary in length, as chat does.
func (e seedExport) message(k int, members []string) slackMessage {
	day, i := k/e.PerDay, k%e.PerDay
	at := seedEpoch.AddDate(0, 0, day).Add(time.Duration(i) * time.Minute)
	words := []string{"ship it", "lunch?", "the build is green again", "can someone review my change",
		"meeting moved to three", "looks good to me, merging after the tests pass"}
	return slackMessage{
		Type: "message",
		User: members[k%len(members)],
		Text: fmt.Sprintf("message %d: %s", k+1, words[k%len(words)]),
		TS:   fmt.Sprintf("%d.%06d", at.Unix(), k%1000000),
	}
}

// writeJSON writes v as JSON to the file at path, creating its folder.
func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
