package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
)

// maxHTTPSeed is the most messages PrepareHistory posts over HTTP to fill
// a channel up; more than that is a job for an import (seed-export).
const maxHTTPSeed = 50000

// PrepareHistory finds the channel to read and counts what it holds. With
// --opt email, it is an existing (seeded) channel, found by the options
// workspace and channel; otherwise it is the channel "history" of the run's
// workspace, made if needed. A channel short of n by less than 50,000
// messages is filled up over HTTP; one short by more is an error that says
// how to seed it.
func (p *parley) PrepareHistory(ctx context.Context, n int) (int, error) {
	var err error
	if p.opts["email"] != "" {
		err = p.findSeeded(ctx)
	} else {
		err = p.makeHistory(ctx)
	}
	if err != nil {
		return 0, err
	}

	held, err := p.countHistory(ctx)
	if err != nil || held >= n {
		return held, err
	}
	if n-held > maxHTTPSeed {
		return held, fmt.Errorf("the channel holds %d messages, fewer than --messages %d; seed it "+
			"with parley-bench seed-export and parley import slack (see parley-bench's doc)", held, n)
	}
	log.Printf("parley: the channel holds %d messages; posting %d more", held, n-held)
	path := "/messages/" + p.historyWS + "/" + p.historyCh
	err = p.parallel(ctx, "posted", n-held, 32, func(ctx context.Context, k int) error {
		return p.post(ctx, p.history, path, fmt.Appendf(nil, `{"message":"history %d"}`, held+k+1))
	})
	if err != nil {
		return held, err
	}
	return p.countHistory(ctx)
}

// findSeeded signs in as --opt email, setting the password with --opt code
// first if given, and finds the workspace and channel of the options.
func (p *parley) findSeeded(ctx context.Context) error {
	email, chName := p.opts["email"], cmp.Or(p.opts["channel"], "history")
	u, err := p.resetOrLogIn(ctx, email)
	if err != nil {
		return err
	}

	ws, err := p.findWorkspace(ctx, u, p.opts["workspace"])
	if err != nil {
		return err
	} else if ws == nil {
		return fmt.Errorf("%s has no workspace %q", email, p.opts["workspace"])
	}
	ch, ok := ws.channelID(chName)
	if !ok {
		return fmt.Errorf("workspace %s has no channel %q that %s can see", ws.Name, chName, email)
	}
	p.history, p.historyWS, p.historyCh = u, ws.ID, ch
	return nil
}

// resetOrLogIn signs in as email: with --opt code, by setting the password
// with that reset code (POST /auth/reset), otherwise, or if the code was
// used already, by logging in with the password.
func (p *parley) resetOrLogIn(ctx context.Context, email string) (*benchUser, error) {
	code := p.opts["code"]
	if code == "" {
		return p.logIn(ctx, email, p.password)
	}
	var s session
	err := p.call(ctx, http.MethodPost, "/auth/reset", nil,
		map[string]string{"email": email, "code": code, "password": p.password}, &s, http.StatusOK)
	if isStatus(err, http.StatusUnauthorized) {
		log.Printf("parley: reset code refused (used already?); logging in with the password")
		return p.logIn(ctx, email, p.password)
	} else if err != nil {
		return nil, err
	}
	return &benchUser{email: email, auth: "Bearer " + s.AccessToken}, nil
}

// makeHistory makes (or finds) the channel "history" in the run's
// workspace, as its first user.
func (p *parley) makeHistory(ctx context.Context) error {
	if err := p.signIn(ctx, 1); err != nil {
		return err
	} else if err := p.joinWorkspace(ctx, 1); err != nil {
		return err
	}
	ch, err := p.ensureChannel(ctx, "history", p.users[:1])
	if err != nil {
		return err
	}
	p.history, p.historyWS, p.historyCh = p.users[0], p.workspaceID, ch
	return nil
}

// countHistory returns the seq of the channel's newest message: how many
// it holds, thread replies included.
func (p *parley) countHistory(ctx context.Context) (int, error) {
	var page struct {
		Messages []struct {
			Seq int `json:"seq"`
		} `json:"messages"`
	}
	path := "/messages/" + p.historyWS + "/" + p.historyCh + "?limit=1&include_replies=true"
	if err := p.call(ctx, http.MethodGet, path, p.history, nil, &page, http.StatusOK); err != nil {
		return 0, err
	} else if len(page.Messages) == 0 {
		return 0, nil
	}
	return page.Messages[len(page.Messages)-1].Seq, nil
}

// ReadNewest reads the channel's newest 50 messages. The answer is read
// whole but not decoded: decoding is the client's cost, not the server's.
func (p *parley) ReadNewest(ctx context.Context) error {
	path := "/messages/" + p.historyWS + "/" + p.historyCh + "?limit=50"
	return p.call(ctx, http.MethodGet, path, p.history, nil, nil, http.StatusOK)
}
