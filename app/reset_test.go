package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/sqlite"
)

func TestResetPassword(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		u, _, err := svc.ImportUser(ctx, app.ImportedUser{Email: "Imported@Example.com", Nickname: "imp"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Login(ctx, "imported@example.com", "anything-at-all")
		wantCode(t, err, parley.EUNAUTHORIZED) // no password yet

		code, err := svc.IssueResetCode(ctx, "imported@example.com")
		if err != nil {
			t.Fatal(err)
		}
		sess, err := svc.ResetPassword(ctx, "IMPORTED@example.com", code, "brand new password")
		if err != nil {
			t.Fatal(err)
		} else if sess.User.ID != u.ID {
			t.Fatalf("User.ID=%q, want %q", sess.User.ID, u.ID)
		}
		if _, err := svc.Login(ctx, "imported@example.com", "brand new password"); err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		_, err = svc.ResetPassword(ctx, "imported@example.com", code, "another password")
		wantCode(t, err, parley.EUNAUTHORIZED) // used
	})

	t.Run("ErrWrongEmailKeepsCode", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		MustSignup(t, svc, "ann@example.com")
		MustSignup(t, svc, "bob@example.com")
		code, err := svc.IssueResetCode(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"bob@example.com", "nobody@example.com"} {
			_, err = svc.ResetPassword(ctx, email, code, "taking over")
			wantCode(t, err, parley.EUNAUTHORIZED)
		}
		if _, err := svc.Login(ctx, "bob@example.com", "taking over"); err == nil {
			t.Fatal("bob's password changed with ann's code")
		}
		if _, err := svc.ResetPassword(ctx, "ann@example.com", strings.ToLower(code), "ann's own"); err != nil {
			t.Fatalf("the code after a mistyped email, in lower case: %v", err)
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		MustSignup(t, svc, "ann@example.com")
		code, err := svc.IssueResetCode(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		svc.Store.(*sqlite.Store).Now = func() time.Time { return time.Now().Add(app.ResetCodeTTL + time.Minute) }
		_, err = svc.ResetPassword(ctx, "ann@example.com", code, "much too late")
		wantCode(t, err, parley.EUNAUTHORIZED)
	})

	t.Run("EndsOtherSessions", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		old, err := svc.Signup(ctx, "ann@example.com", "password123", "")
		if err != nil {
			t.Fatal(err)
		}
		code, err := svc.IssueResetCode(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := svc.ResetPassword(ctx, "ann@example.com", code, "a new password")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Refresh(ctx, old.RefreshToken)
		wantCode(t, err, parley.EUNAUTHORIZED)
		if _, err := svc.Refresh(ctx, fresh.RefreshToken); err != nil {
			t.Fatalf("refresh of the session the reset opened: %v", err)
		}
	})

	t.Run("OnlyNewestCodeWorks", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		MustSignup(t, svc, "ann@example.com")
		first, err := svc.IssueResetCode(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		second, err := svc.IssueResetCode(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.ResetPassword(ctx, "ann@example.com", first, "first password")
		wantCode(t, err, parley.EUNAUTHORIZED)
		if _, err := svc.ResetPassword(ctx, "ann@example.com", second, "second password"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrBadInput", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		MustSignup(t, svc, "ann@example.com")
		_, err := svc.IssueResetCode(ctx, "nobody@example.com")
		wantCode(t, err, parley.ENOTFOUND)
		_, err = svc.ResetPassword(ctx, "ann@example.com", "", "password123")
		wantCode(t, err, parley.EINVALID)
		_, err = svc.ResetPassword(ctx, "ann@example.com", "some-code", "short")
		wantCode(t, err, parley.EINVALID)
	})

	t.Run("ErrDeactivated", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		if _, _, err := svc.ImportUser(ctx, app.ImportedUser{Email: "gone@example.com", Deactivated: true}); err != nil {
			t.Fatal(err)
		}
		_, err := svc.IssueResetCode(ctx, "gone@example.com")
		wantCode(t, err, parley.ECONFLICT)
	})
}

func TestImportUserNeverTakesOver(t *testing.T) {
	ctx := context.Background()
	svc, _ := MustOpenService(t)
	_, ann := MustSignup(t, svc, "ann@example.com")

	u, created, err := svc.ImportUser(ctx, app.ImportedUser{Email: "ANN@example.com", Nickname: "Imported Ann", Deactivated: true})
	if err != nil {
		t.Fatal(err)
	} else if created || u.ID != ann.ID || u.Deactivated || u.Nickname != ann.Nickname {
		t.Fatalf("ImportUser=%+v created=%v, want the existing account unchanged", u, created)
	}
	if _, err := svc.Login(ctx, "ann@example.com", "password123"); err != nil {
		t.Fatalf("login after import: %v", err)
	}

	again, created, err := svc.ImportUser(ctx, app.ImportedUser{Email: "new@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	third, _, err := svc.ImportUser(ctx, app.ImportedUser{Email: "new@example.com"})
	if err != nil {
		t.Fatal(err)
	} else if !created || third.ID != again.ID {
		t.Fatalf("second import ID=%q, want %q (created first=%v)", third.ID, again.ID, created)
	}
	_, err = svc.Signup(ctx, "new@example.com", "password123", "")
	wantCode(t, err, parley.ECONFLICT)
}

// Imports running at once on one database meet the same users, workspace
// and channels: each must find what the other made, not fail on it.
func TestImportConcurrentRuns(t *testing.T) {
	ctx := context.Background()
	svc, _ := MustOpenService(t)

	const runs = 6
	users := make([]*parley.User, runs)
	channels := make([]*parley.Channel, runs)
	errs := make(chan error, 3*runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, _, err := svc.ImportUser(ctx, app.ImportedUser{Email: "same@example.com"})
			if err != nil {
				errs <- err
				return
			}
			users[i] = u
			general := app.ImportedChannel{Key: "C0GENERAL"}
			ws, _, err := svc.ImportWorkspace(ctx, "Shared", u.ID, general)
			if err != nil {
				errs <- err
				return
			}
			ch, _, err := svc.ImportChannel(ctx, ws, app.ImportedChannel{
				Key: "C1", Name: "random", CreatorID: u.ID, MemberIDs: []string{u.ID},
			})
			if err != nil {
				errs <- err
				return
			}
			channels[i] = ch
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent import: %v", err)
	}
	for i := 1; i < runs && !t.Failed(); i++ {
		if users[i].ID != users[0].ID || channels[i].ID != channels[0].ID {
			t.Fatalf("run %d got user %s channel %s, want %s %s",
				i, users[i].ID, channels[i].ID, users[0].ID, channels[0].ID)
		}
	}
}
