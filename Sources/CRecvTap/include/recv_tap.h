// The recv tap: see recv_tap.c.
#ifndef CRECVTAP_H
#define CRECVTAP_H

/// Marks the tap installed, so the server watches frame masks (clws_frames_watch). Call once at startup.
void recv_tap_install(void);

#endif
