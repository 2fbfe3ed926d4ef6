// Package slackimport reads a Slack export and loads it into one Parley
// workspace through the import methods of [app.Service], which hold every
// rule of what Parley stores: stable IDs, validation, mentions, thread
// counts, all or nothing per conversation. This package only translates
// Slack's files into those calls.
//
// # The export
//
// An export is a zip file, or the folder it unpacks to, with users.json and
// channels.json (both required), and optionally groups.json (private
// channels), mpims.json (group conversations) and dms.json (direct
// conversations). Each conversation has a folder, named after the channel
// (or after its ID for a direct conversation), with a JSON file per day.
//
// # What each part becomes
//
//   - Users are matched to Parley users by email (lowercased), or created
//     without a password. A user without an email gets the placeholder
//     address <slack id, lowercased>@slack-import.invalid, the same on
//     every run, and the report lists them. Deleted users are created
//     deactivated and keep their messages. Users whose emails Parley holds
//     to be one (they differ only in case) become one account, and a
//     second entry of users.json with the ID of an earlier one is ignored;
//     the report lists both.
//   - Each bot is one user: a bot of users.json by its bot_id, and the
//     sender of a bot_message by its bot_id (or, lacking one, its
//     username), at bot-<bot_id>@slack-import.invalid. Slackbot (USLACKBOT)
//     is such a bot, at bot-slackbot@slack-import.invalid. Bots are created
//     deactivated: their messages are imported, but nobody can log in as
//     one or get a reset code for it. The report counts them as bots, not
//     among the deactivated people.
//   - The workspace is run by Slack's primary owner, else an owner, else an
//     admin, else the first user, preferring people who are neither
//     deleted nor bots. Every user, bots included, joins it.
//   - The is_general channel (else the one named general) becomes the
//     workspace's general channel. The other channels keep their names,
//     made to pass Parley's naming rules ("My Channel" is my-channel,
//     full-width "ｄｅｓｉｇｎ" is design, a name too long is cut, one with
//     nothing left is channel-<id>), with a suffix (-2, -3) when two clash,
//     and their topic, purpose, creator, members and archived state. The
//     report lists every channel whose name changed. Private channels (groups.json) stay private with their
//     members. Group conversations become private channels named after
//     their members' handles ("alice-bob-chie"). Direct conversations
//     become direct messages.
//   - Messages keep their ts as their key (so that a second run adds
//     nothing), their time, order and sender, their thread (a thread_ts
//     other than their ts), edit time (edited.ts), reactions (by users the
//     import knows), pins (from the pins of channels.json, else from
//     pinned_to, as pinned by the sender at the message's time) and files,
//     as a line "📎 name: url" each. A message with no text but
//     attachments gets their fallback text; one with nothing but deleted
//     files (mode "tombstone") is skipped. A ts, thread_ts or edited.ts
//     written as a number, as some tools rewrite them, is read as the
//     string Slack writes: 1700000003.5 is "1700000003.500000".
//   - Parley refuses control characters other than line breaks and tabs.
//     The import removes them from message text, topics, purposes and
//     nicknames, and the report counts the messages it changed.
//
// # Markup
//
//	<@U123>, <@U123|ann>   <@PARLEY_ID>, or @ann / @U123 for an unknown user
//	<#C123|general>        #general (the name it gets in Parley, without a label)
//	<!here>, <!channel>    kept: Parley reads them as Slack does
//	<!everyone>            <!channel>
//	<!subteam^S1|@team>    @team; any other <!…|label> becomes its label
//	<https://x|label>      label (https://x)
//	<https://x>            https://x
//	&lt; &gt; &amp;        < > &, undone after the rest
//
// # Subtypes
//
// These subtypes are not chat lines; each becomes a change or nothing:
//
//	channel_join, group_join            the user becomes a member of the channel
//	channel_leave, group_leave          noted in the report; the members are
//	                                    the final ones of channels.json, since
//	                                    Parley keeps no membership history
//	channel_topic, channel_purpose,     dropped: channels.json has the final
//	channel_name (and group_…)          topic, purpose and name
//	channel_archive, channel_unarchive  dropped: channels.json has the final
//	(and group_…)                       archived state
//	channel_convert_to_private/_public  dropped: the list the channel is in says
//	pinned_item, unpinned_item          dropped: pins come from the pins data
//	message_changed, message_deleted,   dropped: the export holds the message
//	message_replied                     as it ended up
//
// Every other message is imported as a message: among them bot_message
// (sent by its bot), me_message, file_share (with its file lines),
// thread_broadcast and reply_broadcast (a reply also sent to the channel),
// tombstone, bot_add and bot_remove. The report counts the lines of each
// subtype that were not imported as messages.
//
// # Failures
//
// An export without users.json or channels.json, a broken zip file, or a
// users.json or channels.json that is not a JSON array of the entries it
// lists, or is larger than 64 MiB, stop the import before it writes
// anything; [Open] checks all this, so that a caller can refuse an export
// before it opens a database. Otherwise what is valid is imported, and the
// report lists everything left out, with the file it came from and why,
// in terms of the export's JSON:
//
//   - Every day file of a conversation is read before anything of it is
//     written, and the service writes a conversation's messages all or
//     nothing. A conversation with a day file that cannot be read, is not
//     a JSON array, or is larger than 256 MiB is left out whole; the
//     others are imported.
//   - An entry of a day file with a field of the wrong kind (a number for
//     its text, say), or without a ts that reads as one, is skipped.
//   - A message whose sender is not in users.json is skipped, with its ts.
//   - A reply whose root is not in the export becomes an ordinary message.
//
// # Known limits
//
// A conversation is written in one call, so it is held in memory whole
// while it is imported; the export's other conversations are not. No file
// is read past its size limit (256 MiB for a day file, 64 MiB for a list),
// whatever size the zip file claims for it, so that a zip bomb cannot
// exhaust the memory; an export with larger files needs higher limits in
// the code. The number of files is not limited. Slack's
// export does not say when a user joined, so users created get the time of
// the import. A channel's creator is made a member by the service; for a
// private channel whose creator has left, the first member is recorded as
// its creator instead, so that nobody outside it can read it.
package slackimport
