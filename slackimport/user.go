package slackimport

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// PlaceholderDomain is the domain of the addresses made up for users and
// bots that have no email in the export. It is reserved (RFC 2606), so no
// mail can reach it, and the address stays the same on every run.
const PlaceholderDomain = "slack-import.invalid"

// people maps the users and bots of an export to Parley users, creating
// them as needed. Bots met only in messages are created when first met, and
// join the workspace then.
type people struct {
	svc *app.Service
	rep *Report
	ws  *parley.Workspace
	// createdAt is the creation time of users created: Slack's export
	// does not say when a user joined.
	createdAt time.Time

	bySlack map[string]*parley.User // Slack user ID
	byBot   map[string]*parley.User // bot key: bot_id, or "username:" + name
	handles map[string]string       // Slack user ID to Slack handle
	order   []string                // Parley IDs, in the order first met
	seen    map[string]bool
}

func newPeople(svc *app.Service, rep *Report, createdAt time.Time) *people {
	return &people{
		svc: svc, rep: rep, createdAt: createdAt,
		bySlack: map[string]*parley.User{}, byBot: map[string]*parley.User{},
		handles: map[string]string{}, seen: map[string]bool{},
	}
}

// importUsers imports the users of users.json. A user that cannot be
// imported is reported and left out; its messages are then skipped as
// those of an unknown user. A second entry with the ID of an earlier one
// is ignored, and users whose emails Parley holds to be the same become
// one account; the report lists both.
func (p *people) importUsers(ctx context.Context, users []slackUser) error {
	listed := map[string]bool{}
	first := map[string]slackUser{} // by Parley ID: the first user that became it
	for _, su := range users {
		switch {
		case su.ID == "":
			p.rep.skip("users.json", "", "a user without an id ("+cmp.Or(su.Name, "no name")+")")
			continue
		case listed[su.ID]:
			p.rep.Duplicates = append(p.rep.Duplicates, Item{File: "users.json", Reason: su.ID +
				" (" + su.Name + ") is listed again; the first entry is the one imported"})
			continue
		}
		listed[su.ID] = true
		p.handles[su.ID] = su.Name

		// Nobody logs in as a bot: it is created deactivated, and its
		// messages are imported all the same.
		iu := app.ImportedUser{
			Email: strings.TrimSpace(su.Profile.Email), Nickname: nicknameOf(su),
			Deactivated: su.Deleted || su.IsBot, CreatedAt: p.createdAt,
		}
		placeholder := false
		switch {
		case su.IsBot && iu.Email == "":
			iu.Email = botEmail(cmp.Or(su.Profile.BotID, su.ID))
		case iu.Email == "":
			iu.Email, placeholder = placeholderEmail(su.ID), true
		default:
			if _, err := app.NormalizeEmail(iu.Email); err != nil {
				p.rep.note("users.json", "", su.ID+" ("+su.Name+") has the email "+
					quote(iu.Email)+", which is not a valid address; a placeholder replaces it")
				iu.Email, placeholder = placeholderEmail(su.ID), true
			}
		}

		u, created, err := p.svc.ImportUser(ctx, iu)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.rep.skip("users.json", "", "user "+su.ID+" ("+su.Name+"): "+reasonOf(err))
			continue
		}
		if f, ok := first[u.ID]; ok {
			p.rep.Merged = append(p.rep.Merged,
				Item{File: "users.json", Reason: merged(su, f, u.Email)})
		} else {
			first[u.ID] = su
		}
		p.count(u, created, su.IsBot)
		if placeholder {
			p.rep.Users.Placeholder++
			p.rep.Placeholders = append(p.rep.Placeholders,
				Placeholder{SlackID: su.ID, Name: su.Name, Email: u.Email})
		}
		switch {
		case created || u.Deactivated:
		case su.IsBot:
			p.rep.note("users.json", "", su.ID+" ("+su.Name+") is a bot but matched the active "+
				"user "+u.Email+", which is left as it is; deactivate it if nobody logs in as it")
		case su.Deleted:
			p.rep.note("users.json", "", su.ID+" ("+su.Name+") is deleted in Slack but matched "+
				"the active user "+u.Email+", which is left as it is")
		}

		p.bySlack[su.ID] = u
		if su.IsBot && su.Profile.BotID != "" {
			p.byBot[su.Profile.BotID] = u
		}
	}
	return nil
}

// merged says that the Slack user su became the same account, email, as
// the user before it.
func merged(su, before slackUser, email string) string {
	a, b := strings.TrimSpace(su.Profile.Email), strings.TrimSpace(before.Profile.Email)
	why := "Parley holds their emails to be the same"
	if a != b && strings.EqualFold(a, b) {
		why = "their emails differ only in case"
	}
	return su.ID + " (" + su.Name + ", " + quote(a) + ") and " +
		before.ID + " (" + before.Name + ", " + quote(b) + ") are the one account " + email + ": " + why
}

// count tallies a user imported, once, and remembers it for joinAll.
func (p *people) count(u *parley.User, created, bot bool) {
	if p.seen[u.ID] {
		return
	}
	p.seen[u.ID] = true
	p.order = append(p.order, u.ID)
	if created {
		p.rep.Users.Created++
		if u.Deactivated && !bot {
			p.rep.Users.Deactivated++
		}
	} else {
		p.rep.Users.Matched++
	}
	if bot {
		p.rep.Users.Bots++
	}
}

// adminOf returns the Parley ID of the user who runs the workspace: Slack's
// primary owner, else an owner, else an admin, else the first user, among
// the people who are neither deleted nor bots if there are any.
func (p *people) adminOf(users []slackUser) string {
	ranks := []func(slackUser) bool{
		func(su slackUser) bool { return su.IsPrimaryOwner },
		func(su slackUser) bool { return su.IsOwner },
		func(su slackUser) bool { return su.IsAdmin },
		func(slackUser) bool { return true },
	}
	for _, activeOnly := range []bool{true, false} {
		for _, rank := range ranks {
			for _, su := range users {
				u := p.bySlack[su.ID]
				if u == nil || (activeOnly && (su.Deleted || su.IsBot)) || !rank(su) {
					continue
				}
				return u.ID
			}
		}
	}
	return ""
}

// joinAll makes every user imported so far a member of the workspace.
func (p *people) joinAll(ctx context.Context, ws *parley.Workspace) error {
	p.ws = ws
	for _, id := range p.order {
		if err := p.svc.ImportMember(ctx, ws, id); err != nil {
			return err
		}
	}
	return nil
}

// user returns the Parley user of a Slack user ID, or nil.
func (p *people) user(slackID string) *parley.User {
	return p.bySlack[slackID]
}

// userID returns the Parley ID of a Slack user ID, or "".
func (p *people) userID(slackID string) string {
	if u := p.user(slackID); u != nil {
		return u.ID
	}
	return ""
}

// sender returns who sent a message: the bot for a bot_message, the user
// otherwise. It returns "" and the reason when that is nobody it knows.
func (p *people) sender(ctx context.Context, m *slackMessage) (string, string, error) {
	if m.Subtype == "bot_message" || (m.User == "" && (m.BotID != "" || m.Username != "")) {
		if u := p.user(m.User); u != nil && m.BotID == "" {
			return u.ID, "", nil
		}
		name := cmp.Or(m.Username, m.BotProfile.Name)
		switch {
		case m.BotID != "":
			return p.bot(ctx, m.BotID, botEmail(m.BotID), cmp.Or(name, m.BotID))
		case name != "":
			return p.bot(ctx, "username:"+name, botEmail(slug(name)), name)
		}
		return "", "a bot message names no bot", nil
	}

	if u := p.user(m.User); u != nil {
		return u.ID, "", nil
	} else if m.User == "USLACKBOT" {
		// Slackbot is in no users.json, but speaks in many exports.
		return p.bot(ctx, "USLACKBOT", botEmail("slackbot"), "slackbot")
	} else if m.User == "" {
		return "", "the message has no user", nil
	}
	return "", "unknown user " + m.User + " (not in users.json)", nil
}

// bot returns the Parley user of the bot with the given key, creating it
// and making it a member of the workspace when first met.
func (p *people) bot(ctx context.Context, key, email, name string) (string, string, error) {
	if u := p.byBot[key]; u != nil {
		return u.ID, "", nil
	}
	iu := app.ImportedUser{
		Email: email, Nickname: clean(name), Deactivated: true, CreatedAt: p.createdAt,
	}
	u, created, err := p.svc.ImportUser(ctx, iu)
	if err != nil {
		return "", "", err
	}
	if !created && !u.Deactivated {
		p.rep.note("", "", "the bot "+clean(name)+" matched the active user "+u.Email+
			", which is left as it is; deactivate it if nobody logs in as it")
	}
	if err := p.svc.ImportMember(ctx, p.ws, u.ID); err != nil {
		return "", "", err
	}
	p.byBot[key] = u
	p.count(u, created, true)
	return u.ID, "", nil
}

// nicknameOf returns the name a user goes by in Slack.
func nicknameOf(su slackUser) string {
	return cmp.Or(clean(su.Profile.DisplayName), clean(su.Profile.RealName),
		clean(su.RealName), clean(su.Name))
}

// placeholderEmail returns the made-up address of a user without an email.
func placeholderEmail(slackID string) string {
	return strings.ToLower(slackID) + "@" + PlaceholderDomain
}

// botEmail returns the made-up address of a bot.
func botEmail(key string) string {
	return "bot-" + strings.ToLower(key) + "@" + PlaceholderDomain
}

// slug returns s in lowercase ASCII letters and digits, with '-' for the
// rest, for an email's local part. A name with none of those gets a hash.
func slug(s string) string {
	var b strings.Builder
	letters := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			letters = true
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	if !letters {
		return strings.ToLower(app.ImportID("x", s)[1:11])
	}
	return strings.TrimSuffix(b.String(), "-")
}

// quote quotes s for a report line.
func quote(s string) string {
	return "\"" + s + "\""
}

// reasonOf returns the safe message of a domain error, or the error.
func reasonOf(err error) string {
	if parley.ErrorCode(err) != parley.EINTERNAL {
		return parley.ErrorMessage(err)
	}
	return err.Error()
}
