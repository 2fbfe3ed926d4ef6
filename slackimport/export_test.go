package slackimport

// Rewrite rewrites Slack markup in text as an import does, with users and
// channels mapping Slack IDs to Parley user IDs and channel names.
func Rewrite(text string, users, channels map[string]string) string {
	rw := &rewriter{userID: func(id string) string { return users[id] }, channels: channels}
	return rw.rewrite(text)
}

// ChannelName is channelName, for tests.
var ChannelName = channelName
