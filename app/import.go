package app

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/parleychat/parley"
)

// This file is the service side of imports from other chat systems: the
// rules an import follows, whichever system the data comes from. Package
// slackimport reads a Slack export and calls these methods; it decides
// nothing about what Parley stores.
//
// An import writes history that happened elsewhere, so it is not bound by
// the rules of live use (an archived channel takes its old messages, times
// are the original ones), and it runs as an operator, not as a signed-in
// user. Everything it creates has an ID derived from the source's own
// keys, so that running the same import again finds what the first run
// made and adds nothing.

// ImportID returns the stable ID of something imported: the same kind and
// key give the same ID on every run and every machine.
func ImportID(kind, key string) string {
	sum := sha256.Sum256([]byte(key))
	return kind + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:26]
}

// ImportedUser is a user as another system knew them.
type ImportedUser struct {
	Email       string
	Nickname    string
	Deactivated bool
	CreatedAt   time.Time
}

// ImportUser returns the user with the imported user's email, creating it,
// without a password, if there is none. An existing user is matched and
// left as it is: an import never takes over or changes an account. Created
// users can set a password through a reset code.
func (s *Service) ImportUser(ctx context.Context, iu ImportedUser) (*parley.User, bool, error) {
	email, err := NormalizeEmail(iu.Email)
	if err != nil {
		return nil, false, err
	}
	if u, err := s.store.UserByEmail(ctx, email); err == nil {
		return u, false, nil
	} else if parley.ErrorCode(err) != parley.ENOTFOUND {
		return nil, false, err
	}

	nickname, err := normalizeText("nickname", iu.Nickname, MaxNicknameLen)
	if err != nil {
		nickname = defaultNickname(email)
	}
	if iu.CreatedAt.IsZero() {
		iu.CreatedAt = s.Now()
	}
	u := &parley.User{
		ID: ImportID("U", "user:"+email), Email: email, Nickname: nickname,
		Deactivated: iu.Deactivated, CreatedAt: parley.NewTime(iu.CreatedAt),
	}
	if err := s.store.CreateUser(ctx, u, ""); parley.ErrorCode(err) == parley.ECONFLICT {
		// Another import, or a sign-up, took the email meanwhile: match
		// that account, as if it had been there first.
		u, err := s.store.UserByEmail(ctx, email)
		return u, false, err
	} else if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// ImportedChannel is a channel as another system knew it. Key is its ID
// there; members and creator are Parley user IDs.
type ImportedChannel struct {
	Key       string
	Name      string
	Private   bool
	CreatorID string
	MemberIDs []string
	Topic     string
	Purpose   string
	Archived  bool
	CreatedAt time.Time
}

// ImportWorkspace returns the workspace an import of the given name fills,
// creating it, run by adminID, with general as its general channel. The
// workspace's ID comes from its name, so a second run of the same import
// fills the same workspace.
func (s *Service) ImportWorkspace(ctx context.Context, name, adminID string, general ImportedChannel) (*parley.Workspace, bool, error) {
	name, err := normalizeText("workspace name", name, MaxWorkspaceNameLen)
	if err != nil {
		return nil, false, err
	}
	id := ImportID("W", "workspace:"+name)
	if ws, err := s.store.Workspace(ctx, id); err == nil {
		return ws, false, nil
	} else if parley.ErrorCode(err) != parley.ENOTFOUND {
		return nil, false, err
	}

	at := parley.NewTime(general.CreatedAt)
	ws := &parley.Workspace{ID: id, Name: name, AdminID: adminID, CreatedAt: at}
	ch := &parley.Channel{
		ID: importChannelID(id, general.Key), Name: parley.GeneralChannelName, WorkspaceID: id,
		CreatorID: adminID, Topic: general.Topic, Purpose: general.Purpose, CreatedAt: at,
	}
	if err := s.store.CreateWorkspace(ctx, ws, ch); parley.ErrorCode(err) == parley.ECONFLICT {
		// A concurrent run of the same import created it first.
		ws, err := s.store.Workspace(ctx, id)
		return ws, false, err
	} else if err != nil {
		return nil, false, err
	}
	return ws, true, nil
}

// ImportMember makes a user a member of an imported workspace and its
// general channel.
func (s *Service) ImportMember(ctx context.Context, ws *parley.Workspace, userID string) error {
	general, err := s.generalChannel(ctx, ws.ID)
	if err != nil {
		return err
	}
	_, err = s.store.AddWorkspaceMember(ctx, ws.ID, userID, general.ID)
	return err
}

// ImportChannel returns the channel an imported channel becomes, creating
// it if the workspace does not have it yet. Either way its members join it
// (and the workspace) and its topic, purpose and archived state are set, so
// that a later export brings a channel imported before up to date. A name
// another channel of the workspace holds is ECONFLICT; the imported general
// channel is the workspace's own.
func (s *Service) ImportChannel(ctx context.Context, ws *parley.Workspace, ic ImportedChannel) (*parley.Channel, bool, error) {
	id := importChannelID(ws.ID, ic.Key)
	_, err := s.store.Channel(ctx, id)
	created := parley.ErrorCode(err) == parley.ENOTFOUND
	if err != nil && !created {
		return nil, false, err
	}
	if created {
		err := s.createImportedChannel(ctx, ws, id, ic)
		if parley.ErrorCode(err) == parley.ECONFLICT {
			// The clash may be with the same channel, created by a
			// concurrent run of the same import: then it is ours.
			if _, lookupErr := s.store.Channel(ctx, id); lookupErr == nil {
				created, err = false, nil
			}
		}
		if err != nil {
			return nil, false, err
		}
	}

	general, err := s.generalChannel(ctx, ws.ID)
	if err != nil {
		return nil, false, err
	}
	for _, uid := range ic.MemberIDs {
		if _, err := s.store.AddWorkspaceMember(ctx, ws.ID, uid, general.ID); err != nil {
			return nil, false, err
		}
		if _, err := s.store.AddChannelMember(ctx, id, uid); err != nil {
			return nil, false, err
		}
	}
	topic, purpose := truncate(ic.Topic, MaxTopicLen), truncate(ic.Purpose, MaxPurposeLen)
	upd := parley.ChannelUpdate{Topic: &topic, Purpose: &purpose}
	if id != general.ID {
		upd.Archived = &ic.Archived
	}
	ch, err := s.store.UpdateChannel(ctx, id, upd)
	return ch, created, err
}

// createImportedChannel creates an imported channel with its creator as its
// only member, as every channel starts.
func (s *Service) createImportedChannel(ctx context.Context, ws *parley.Workspace, id string, ic ImportedChannel) error {
	name, err := NormalizeChannelName(ic.Name)
	if err != nil {
		return err
	}
	if ic.CreatorID == "" {
		ic.CreatorID = ws.AdminID
	}
	if ic.CreatedAt.IsZero() {
		ic.CreatedAt = s.Now()
	}
	ch := &parley.Channel{
		ID: id, Name: name, WorkspaceID: ws.ID, IsPrivate: ic.Private, CreatorID: ic.CreatorID,
		CreatedAt: parley.NewTime(ic.CreatedAt),
	}
	if err := s.store.CreateChannel(ctx, ch); parley.ErrorCode(err) == parley.ECONFLICT {
		return parley.Errorf(parley.ECONFLICT, "a channel named %q exists in the workspace already", name)
	} else if err != nil {
		return err
	}
	// The creator joins as every creator does; one who is not among the
	// imported members had left, and leaves again.
	if !contains(ic.MemberIDs, ic.CreatorID) {
		_, err = s.store.RemoveChannelMember(ctx, id, ic.CreatorID)
	}
	return err
}

// GeneralOf returns the general channel of an imported workspace.
func (s *Service) GeneralOf(ctx context.Context, ws *parley.Workspace) (*parley.Channel, error) {
	return s.generalChannel(ctx, ws.ID)
}

// ImportedMessage is one message as another system kept it. Key names it
// uniquely in its conversation there (Slack's ts); ParentKey names its
// thread's root, if it is a reply.
type ImportedMessage struct {
	Key           string
	SenderID      string
	Text          string
	CreatedAt     time.Time
	EditedAt      *time.Time
	ParentKey     string
	AlsoToChannel bool
	// Reactions name users by Parley ID, in UserIDs.
	Reactions []parley.Reaction
	// PinnedBy and PinnedAt are set for a pinned channel message.
	PinnedBy string
	PinnedAt time.Time
}

// ImportSkip is an imported message that was left out or changed, and why.
type ImportSkip struct {
	Key    string
	Reason string
}

// ImportResult is what an import of one conversation did.
type ImportResult struct {
	Added int
	// Replies counts the replies among the messages given, added now or
	// by an earlier run, and Threads the roots they reply to; Reactions
	// counts the reactions given.
	Replies, Threads int
	Reactions        int
	// Skipped lists messages left out; Orphans, replies whose root is not
	// in the import and that became ordinary messages.
	Skipped []ImportSkip
	Orphans []ImportSkip
}

// ImportChannelMessages imports a channel's history, given in the order
// it happened, all or nothing.
func (s *Service) ImportChannelMessages(ctx context.Context, ch *parley.Channel, msgs []ImportedMessage) (*ImportResult, error) {
	members, err := s.store.ChannelMemberIDs(ctx, ch.ID)
	if err != nil {
		return nil, err
	}
	c := &conversation{id: ch.ID, channel: &channelView{workspace: &parley.Workspace{ID: ch.WorkspaceID}, channel: ch}}
	return s.importMessages(ctx, c, members, msgs)
}

// ImportDirectMessages imports the history of the direct conversation of
// two users, given in the order it happened, all or nothing.
func (s *Service) ImportDirectMessages(ctx context.Context, userA, userB string, msgs []ImportedMessage) (*ImportResult, error) {
	c := directConversation(userA, userB)
	return s.importMessages(ctx, c, compact(c.userIDs), msgs)
}

// importMessages checks and converts a conversation's imported messages
// and stores them in one call. A message that breaks a rule of Parley's
// (empty, too long, a sender outside a direct conversation) is skipped
// with its reason; a reply whose root is missing becomes an ordinary
// message. Thread counts are worked out from the replies given.
func (s *Service) importMessages(ctx context.Context, c *conversation, members []string, in []ImportedMessage) (*ImportResult, error) {
	res := &ImportResult{}
	ids := make(map[string]*parley.Message, len(in))
	threads := map[string]bool{}
	msgs := make([]*parley.Message, 0, len(in))
	var pins []*parley.Pin

	for _, im := range in {
		text, err := normalizeText("message", im.Text, MaxMessageLen)
		if err != nil {
			res.Skipped = append(res.Skipped, ImportSkip{im.Key, parley.ErrorMessage(err)})
			continue
		}
		m := &parley.Message{
			ID: importMessageID(c, im.Key), SenderID: im.SenderID,
			Text: text, CreatedAt: parley.NewTime(im.CreatedAt), Reactions: im.Reactions,
		}
		c.stamp(m)
		if c.channel == nil {
			if m.ReceiverID = otherOf(c.userIDs, im.SenderID); m.ReceiverID == "" {
				res.Skipped = append(res.Skipped, ImportSkip{im.Key, "the sender is not in this direct conversation"})
				continue
			}
		}
		if im.EditedAt != nil {
			m.EditedAt = new(parley.NewTime(*im.EditedAt))
		}
		// Nobody's presence at the time is known, so <!here> in history
		// mentions every member.
		m.Mentions = findMentions(text, members, im.SenderID, nil)

		if im.ParentKey != "" && im.ParentKey != im.Key {
			rootID, err := s.importedRoot(ctx, c, ids, im.ParentKey)
			if err != nil {
				return nil, err
			} else if rootID == "" {
				res.Orphans = append(res.Orphans, ImportSkip{im.Key, "its thread's root is not in the export"})
			} else {
				m.ParentID, m.AlsoToChannel = rootID, im.AlsoToChannel
				if !threads[rootID] {
					threads[rootID] = true
					res.Threads++
				}
				res.Replies++
			}
		}
		if im.PinnedBy != "" && c.channel != nil {
			pins = append(pins, &parley.Pin{
				ChannelID: c.channel.channel.ID, MessageID: m.ID,
				PinnedByID: im.PinnedBy, PinnedAt: parley.NewTime(im.PinnedAt),
			})
		}
		for _, r := range m.Reactions {
			res.Reactions += len(r.UserIDs)
		}
		ids[im.Key] = m
		msgs = append(msgs, m)
	}

	added, err := s.store.ImportMessages(ctx, c.id, msgs, pins)
	if err != nil {
		return nil, fmt.Errorf("import into %s: %w", c.id, err)
	}
	res.Added = added
	return res, nil
}

// importedRoot returns the ID of the root a reply names by its key: one of
// the messages given before it, or one stored by an earlier import. It
// returns "" if there is none; the reply then stands on its own.
func (s *Service) importedRoot(ctx context.Context, c *conversation, given map[string]*parley.Message, key string) (string, error) {
	if root, ok := given[key]; ok {
		return root.ID, nil
	}
	root, err := s.store.Message(ctx, importMessageID(c, key))
	switch {
	case parley.ErrorCode(err) == parley.ENOTFOUND:
		return "", nil
	case err != nil:
		return "", err
	case root.ConversationID != c.id || root.ParentID != "":
		return "", nil
	}
	return root.ID, nil
}

// importMessageID returns the ID of an imported message.
func importMessageID(c *conversation, key string) string {
	return ImportID("M", "message:"+c.id+":"+key)
}

// importChannelID returns the ID of an imported channel in a workspace.
func importChannelID(workspaceID, key string) string {
	return ImportID("C", "channel:"+workspaceID+":"+key)
}

// otherOf returns the other party of a direct conversation, or "" if
// userID is not in it. In a conversation with oneself, that is oneself.
func otherOf(parties []string, userID string) string {
	switch userID {
	case parties[0]:
		return parties[1]
	case parties[1]:
		return parties[0]
	}
	return ""
}

// truncate cuts s to at most n characters, on a character boundary.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
