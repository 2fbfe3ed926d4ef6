package http

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/gorilla/websocket"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// clientFrame is a frame a client sends. A sender field, which clients of the
// original system send, is not read: identity is the token's.
type clientFrame struct {
	Action      string `json:"action"`
	WorkspaceID string `json:"workspace_id"`
	ChannelID   string `json:"channel_id"`
	Receiver    string `json:"receiver"`
	Message     string `json:"message"`
	ClientMsgID string `json:"client_msg_id"`
	// ParentID and AlsoToChannel make the message a thread reply.
	ParentID      string `json:"parent_id"`
	AlsoToChannel bool   `json:"also_to_channel"`
}

// ackFrame tells the sending connection that its message is stored.
type ackFrame struct {
	Type        string `json:"type"`
	ClientMsgID string `json:"client_msg_id,omitempty"`
	MessageID   string `json:"message_id"`
	Seq         int64  `json:"seq"`
}

// errorFrame tells the sending connection that its frame failed. The
// connection stays open.
type errorFrame struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	ClientMsgID string `json:"client_msg_id,omitempty"`
}

// pong is the answer to a ping action.
var pong = []byte(`{"type":"pong"}`)

// handle runs one client frame and returns the frame that answers it, or
// nil for a frame that gets no answer.
func (c *wsConn) handle(ctx context.Context, kind int, data []byte) []byte {
	var f clientFrame
	switch {
	case kind != websocket.TextMessage:
		return c.errorFrame(parley.Errorf(parley.EINVALID, "frames must be JSON text"), "")
	case int64(len(data)) > c.config.MaxFrame:
		return c.errorFrame(parley.Errorf(parley.ETOOLARGE, "frame is larger than %d bytes", c.config.MaxFrame), "")
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return c.errorFrame(parley.Errorf(parley.EINVALID, "frame is not a JSON object of the expected shape"), clientMsgID(data))
	}

	var m *parley.Message
	var err error
	d := app.Draft{
		Text: f.Message, ClientMsgID: f.ClientMsgID, ParentID: f.ParentID, AlsoToChannel: f.AlsoToChannel,
	}
	switch f.Action {
	case "ping":
		return pong
	case "channelChat", "channel_chat":
		m, err = c.service.PostChannelMessage(ctx, f.WorkspaceID, f.ChannelID, d)
	case "dmChat", "dm_chat":
		m, err = c.service.SendDirectMessage(ctx, f.Receiver, d)
	case "typing":
		// Typing is answered only when it fails.
		err = c.service.Typing(ctx, app.TypingRequest{
			WorkspaceID: f.WorkspaceID, ChannelID: f.ChannelID, Receiver: f.Receiver,
		})
		if err == nil {
			return nil
		}
	case "":
		err = parley.Errorf(parley.EINVALID, "action is required")
	default:
		err = parley.Errorf(parley.EINVALID, "unknown action %q", f.Action)
	}
	if err != nil {
		return c.errorFrame(err, f.ClientMsgID)
	}

	ack, _ := json.Marshal(ackFrame{Type: "ack", ClientMsgID: f.ClientMsgID, MessageID: m.ID, Seq: m.Seq})
	return ack
}

// errorFrame encodes err for the client. A fault of ours is logged, and the
// client sees only a generic message.
func (c *wsConn) errorFrame(err error, clientMsgID string) []byte {
	code := parley.ErrorCode(err)
	if code == parley.EINTERNAL {
		c.log(context.Background(), slog.LevelError, "websocket frame failed", "err", err)
	}
	b, _ := json.Marshal(errorFrame{
		Type: "error", Code: code, Message: parley.ErrorMessage(err), ClientMsgID: clientMsgID,
	})
	return b
}

// clientMsgID digs the client_msg_id out of a frame that failed to decode,
// so that the client can match the error to what it sent.
func clientMsgID(data []byte) string {
	var f struct {
		ClientMsgID any `json:"client_msg_id"`
	}
	if json.Unmarshal(data, &f) == nil {
		if s, ok := f.ClientMsgID.(string); ok && len(s) <= app.MaxClientMsgIDLen {
			return s
		}
	}
	return ""
}

// isWebSocketClose reports whether err is a close the client meant.
func isWebSocketClose(err error) bool {
	return websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway)
}
