package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// session is the part of Parley's sign-up and login answer the target
// uses.
type session struct {
	AccessToken string `json:"access_token"`
}

// workspace is the part of GET /workspace/{id} the target uses.
type workspace struct {
	ID       string   `json:"workspace_id"`
	Name     string   `json:"workspace_name"`
	Users    []string `json:"users"`
	Channels []struct {
		ID   string `json:"channel_id"`
		Name string `json:"channel_name"`
	} `json:"channels"`
}

// channelID returns the ID of the channel with the given ID or name.
func (w *workspace) channelID(idOrName string) (string, bool) {
	for _, c := range w.Channels {
		if c.ID == idOrName || c.Name == idOrName {
			return c.ID, true
		}
	}
	return "", false
}

// userEmail is the email of the run's i-th user.
func (p *parley) userEmail(i int) string {
	return fmt.Sprintf("bench-%s-%d@example.com", p.run, i)
}

// signIn makes sure p.users holds the run's first n users, signed in. A
// user is signed up, or logged in if an earlier run with the same ID made
// them. Each costs the server a bcrypt hash (about 60 ms of CPU), so they
// go a few at a time (option signups), with progress on stderr.
//
// Parley hashes the password of a sign-up before it finds the email taken,
// and of a login before it finds the email unknown, so guessing wrong
// costs a second hash. The first missing user is tried with a login: if
// that works, the run's users exist and the rest log in too.
func (p *parley) signIn(ctx context.Context, n int) error {
	have := len(p.users)
	if have >= n {
		return nil
	}
	p.users = append(p.users, make([]*benchUser, n-have)...)
	log.Printf("parley: signing in %d users of run %s (bcrypt on the server: about %s on one core; "+
		"--opt run=%s reuses them)", n-have, p.run, time.Duration(n-have)*60*time.Millisecond, p.run)
	u, err := p.logIn(ctx, p.userEmail(have), p.password)
	exist := err == nil
	if exist {
		p.users[have] = u
		have++
	} else if !isStatus(err, http.StatusUnauthorized) {
		return err
	}

	return p.parallel(ctx, "signed in", n-have, p.intOption("signups", 8), func(ctx context.Context, k int) error {
		i := have + k
		u, err := p.signUpOrLogIn(ctx, p.userEmail(i), exist)
		p.users[i] = u
		return err
	})
}

// signUpOrLogIn signs the user up, or logs in if the email is taken; or,
// if exist is set, the other way round.
func (p *parley) signUpOrLogIn(ctx context.Context, email string, exist bool) (*benchUser, error) {
	if exist {
		u, err := p.logIn(ctx, email, p.password)
		if !isStatus(err, http.StatusUnauthorized) {
			return u, err
		}
	}
	var s session
	err := p.call(ctx, http.MethodPost, "/auth/signup", nil,
		map[string]string{"email": email, "password": p.password}, &s, http.StatusCreated)
	if isStatus(err, http.StatusConflict) && !exist {
		return p.logIn(ctx, email, p.password)
	} else if err != nil {
		return nil, err
	}
	return &benchUser{email: email, auth: "Bearer " + s.AccessToken}, nil
}

// logIn logs the user in with a password.
func (p *parley) logIn(ctx context.Context, email, password string) (*benchUser, error) {
	var s session
	err := p.call(ctx, http.MethodPost, "/auth/login", nil,
		map[string]string{"email": email, "password": password}, &s, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return &benchUser{email: email, auth: "Bearer " + s.AccessToken}, nil
}

// joinWorkspace makes sure the run's workspace, bench-<run>, exists with
// the first n users as members, and points p.channelID at its general
// channel, which every invited member joins. User 0 owns it.
func (p *parley) joinWorkspace(ctx context.Context, n int) error {
	owner := p.users[0]
	name := "bench-" + p.run
	ws, err := p.findWorkspace(ctx, owner, name)
	if err != nil {
		return err
	} else if ws == nil {
		ws = &workspace{}
		err := p.call(ctx, http.MethodPost, "/workspace", owner,
			map[string]string{"workspace_name": name}, ws, http.StatusCreated)
		if err != nil {
			return err
		}
	}
	general, ok := ws.channelID("general")
	if !ok {
		return fmt.Errorf("workspace %s has no general channel", ws.ID)
	}
	p.workspaceID, p.channelID = ws.ID, general

	members := map[string]bool{}
	for _, e := range ws.Users {
		members[e] = true
	}
	var missing []*benchUser
	for _, u := range p.users[:n] {
		if !members[u.email] {
			missing = append(missing, u)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	log.Printf("parley: inviting %d users to workspace %s", len(missing), name)
	return p.parallel(ctx, "invited", len(missing), 16, func(ctx context.Context, k int) error {
		return p.call(ctx, http.MethodPatch, "/workspace", owner,
			map[string]string{"workspace_id": ws.ID, "user_email": missing[k].email}, nil, http.StatusOK)
	})
}

// ensureChannel makes (or finds) the channel name in the run's workspace,
// as its first user, adds the members it lacks, and returns its ID.
func (p *parley) ensureChannel(ctx context.Context, name string, members []*benchUser) (string, error) {
	owner := p.users[0]
	var ch struct {
		ID    string   `json:"channel_id"`
		Users []string `json:"users"`
	}
	err := p.call(ctx, http.MethodPost, "/channel", owner,
		map[string]string{"workspace_id": p.workspaceID, "channel_name": name}, &ch, http.StatusCreated)
	if isStatus(err, http.StatusConflict) {
		ws, err := p.workspace(ctx, owner, p.workspaceID)
		if err != nil {
			return "", err
		}
		ch.ID, _ = ws.channelID(name)
		err = p.call(ctx, http.MethodGet, "/channel/"+p.workspaceID+"/"+ch.ID, owner, nil, &ch, http.StatusOK)
		if err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}

	in := map[string]bool{}
	for _, e := range ch.Users {
		in[e] = true
	}
	var missing []*benchUser
	for _, u := range members {
		if !in[u.email] {
			missing = append(missing, u)
		}
	}
	if len(missing) == 0 {
		return ch.ID, nil
	}
	return ch.ID, p.parallel(ctx, "added to #"+name, len(missing), 16, func(ctx context.Context, k int) error {
		return p.call(ctx, http.MethodPatch, "/channel", owner, map[string]string{
			"workspace_id": p.workspaceID, "channel_id": ch.ID, "user_email": missing[k].email,
		}, nil, http.StatusOK)
	})
}

// findWorkspace returns u's workspace with the given ID or name, with its
// members and channels, or nil if u has none such. An empty idOrName
// matches the first.
func (p *parley) findWorkspace(ctx context.Context, u *benchUser, idOrName string) (*workspace, error) {
	var list []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	err := p.call(ctx, http.MethodGet, "/workspaces/"+url.PathEscape(u.email), u, nil, &list, http.StatusOK)
	if err != nil {
		return nil, err
	}
	for _, w := range list {
		if idOrName == "" || w.ID == idOrName || w.Name == idOrName {
			return p.workspace(ctx, u, w.ID)
		}
	}
	return nil, nil
}

// workspace reads one workspace.
func (p *parley) workspace(ctx context.Context, u *benchUser, id string) (*workspace, error) {
	ws := &workspace{}
	if err := p.call(ctx, http.MethodGet, "/workspace/"+id, u, nil, ws, http.StatusOK); err != nil {
		return nil, err
	}
	return ws, nil
}

// parallel calls do for 0 … n-1, at most width at once, logging progress
// (named by what, such as "signed in") every tenth of the way, at most
// every 2 s. It stops at the first error and returns it.
func (p *parley) parallel(ctx context.Context, what string, n, width int,
	do func(ctx context.Context, k int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	step := max(int64(n)/10, 1)
	start := time.Now()
	var logged atomic.Int64 // unix nanos of the last progress line
	logged.Store(start.UnixNano())

	var wg sync.WaitGroup
	for range min(width, n) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < n && ctx.Err() == nil; k = int(next.Add(1) - 1) {
				if err := do(ctx, k); err != nil {
					cancel(err)
					return
				}
				d, now, last := done.Add(1), time.Now().UnixNano(), logged.Load()
				if d%step == 0 && d < int64(n) && now-last > 2e9 && logged.CompareAndSwap(last, now) {
					log.Printf("parley: %s %d of %d", what, d, n)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	log.Printf("parley: %s %d in %s", what, n, time.Since(start).Round(time.Millisecond))
	return nil
}
