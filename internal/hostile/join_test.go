package hostile

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// dialFrom opens /ws through the trusted proxy as client address from.
func dialFrom(t *testing.T, addr, from, query string) (*client, *http.Response, error) {
	t.Helper()
	h := http.Header{"X-Forwarded-For": {from}}
	conn, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws"+query, h)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.Close() })
	return &client{tb: t, conn: conn}, resp, nil
}

// TestWrongJoinsDoNotLockOutTheCode: a few wrong room codes from one address
// (a school's NAT) locked the right code out for everyone behind it for a
// minute. Wrong guesses stay limited; the room's code does not.
func TestWrongJoinsDoNotLockOutTheCode(t *testing.T) {
	srv := startServer(t, "-trusted-proxies", "127.0.0.1/32")
	const elsewhere = "192.0.2.44"
	for _, tc := range []struct {
		name              string
		school, presenter string
	}{
		{"teacher behind the same address", "198.51.100.7", "198.51.100.7"},
		{"teacher elsewhere, a pupil already in", "198.51.100.8", "203.0.113.9"},
	} {
		school := tc.school
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := dialFrom(t, srv.Addr, tc.presenter, "")
			if err != nil {
				t.Fatal(err)
			}
			code := p.share()
			if tc.presenter != school {
				v, _, err := dialFrom(t, srv.Addr, school, "?room="+code)
				if err != nil {
					t.Fatalf("first pupil: %v", err)
				}
				v.until("loaded")
			}
			// A prankster behind the school's address tries wrong codes
			// until refused.
			refused, tries := false, 0
			for ; tries < 100 && !refused; tries++ {
				v, resp, err := dialFrom(t, srv.Addr, school, "?room=ZZZZZZ")
				if err != nil {
					if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
						t.Fatalf("wrong code %d: %v, %v; want 429 once limited", tries, err, resp)
					}
					refused = true
					break
				}
				if m, _ := v.until("error"); m.Code != "room-not-found" {
					t.Fatalf("wrong code: %s %s", m.Code, m.Message)
				}
			}
			if !refused {
				t.Fatalf("%d wrong codes from one address, none refused", tries)
			}
			// Wrong codes from elsewhere are still answered, not locked.
			if _, _, err := dialFrom(t, srv.Addr, elsewhere, "?room=ZZZZZZ"); err != nil {
				t.Fatalf("a wrong code from another address: %v", err)
			}
			// The right code still lets the class in.
			for i := range 5 {
				v, resp, err := dialFrom(t, srv.Addr, school, "?room="+code)
				if err != nil {
					t.Fatalf("pupil %d with the right code after %d wrong ones: %v, %v", i, tries, err, resp)
				}
				v.until("loaded")
			}
			t.Logf("%d wrong codes from the address before 429; the right code still joins", tries)
			p.send(`{"type": "end"}`)
		})
	}
}
