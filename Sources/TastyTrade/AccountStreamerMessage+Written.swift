extension AccountStreamerMessage {
    /// Messages already written as JSON text (notifications made with `notificationJSON`), batched in one
    /// `results` frame as the streamer batches them.
    public static func batchJSON(written messages: [String]) -> String {
        "{\"results\":[" + messages.joined(separator: ",") + "]}"
    }
}
