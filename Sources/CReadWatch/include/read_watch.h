// What the read tap (CRecvTap) looks for in the bytes lws reads, kept per descriptor: C with no library behind
// it, so the fuzz targets and tests drive it directly.
#ifndef READ_WATCH_H
#define READ_WATCH_H

// WebSocket frame masks. RFC 6455 5.1: a server must close a connection whose client sends an unmasked frame
// (1002), but lws 4.1 unmasks what is masked and takes the rest, and tells no one which it was. So the bytes lws
// reads from a watched socket are also walked here, frame header by frame header (clws_frames_scan, fed by the
// recv and SSL_read tap the tickhub executable links, CRecvTap). Without the tap nothing is scanned and nothing is
// flagged.

/// What a tap feeds clws_frames_scan in this process: plain reads, TLS plaintext, both (set by the tap).
enum { CLWS_TAP_PLAIN = 1, CLWS_TAP_TLS = 2 };
int clws_frames_tap_installed(void);
void clws_frames_set_tap_installed(int covered);
/// Starts walking the frames that arrive on `fd` (a WebSocket that has just been accepted); drops any state an
/// earlier connection left on the same descriptor.
void clws_frames_watch(int fd);
void clws_frames_unwatch(int fd);
/// Nonzero once a frame without a mask arrived on `fd`.
int clws_frames_unmasked(int fd);
/// Walks `length` bytes read from `fd`, if it is watched.
void clws_frames_scan(int fd, const unsigned char *bytes, long length);

// NUL in a URL. lws 4.1 drops a connection whose request line decodes to a NUL byte (`%00`), without an answer.
// So the request line of each HTTP request is walked as it is read (fed by the same tap) and its `%00` turned
// into `%01` (a raw NUL into 0x01): lws then passes the request on, and the hub answers 400 for the control
// character, as it does for any. Only the request line is touched, and only while a request is awaited on the connection: armed when it is
// accepted and again when a response completes; a request pipelined behind another is read before that and
// keeps lws's behaviour.

/// Arms the walk for the next request line on `fd`.
void clws_request_line_watch(int fd);
void clws_request_line_unwatch(int fd);
/// Walks (and mends) `length` bytes read from `fd`, if a request line is awaited there.
void clws_request_line_scan(int fd, unsigned char *bytes, long length);

#endif
