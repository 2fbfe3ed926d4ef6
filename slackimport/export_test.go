package slackimport

// Rewrite rewrites Slack markup in text as an import does, with users and
// channels mapping Slack IDs to Parley user IDs and channel names.
func Rewrite(text string, users, channels map[string]string) string {
	rw := &rewriter{userID: func(id string) string { return users[id] }, channels: channels}
	return rw.rewrite(text)
}

// ChannelName is channelName, for tests.
var ChannelName = channelName

// OpenLimited is Open with lower size limits, in bytes, for day files and
// for the lists.
func OpenLimited(path string, day, list int64) (*Export, error) {
	return open(path, limits{day: day, list: list})
}
