package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

func TestLog_writesLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	for i := 0; i < 2; i++ {
		env, err := test.New(t, test.Request{Method: "GET", Url: "http://example.com/some/path?x=1"})
		if err != nil {
			t.Fatal(err)
		}
		env.DoHttp(&Config{Path: path})
	}
	flushAll()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "GET /some/path 200 3\nGET /some/path 200 3\n"
	if string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

func TestLog_flushedByTicker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticker.log")
	if err := writeLine(path, "GET", "/t", 204, 5); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == "GET /t 204 5\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 s the file holds %q", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLog_fullBufferWritesWholeLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.log")
	n := 3 * bufferSize / 20
	var want strings.Builder
	for i := 0; i < n; i++ {
		p := "/p/" + strconv.Itoa(i)
		if err := writeLine(path, "GET", p, 200, float64(i%7)); err != nil {
			t.Fatal(err)
		}
		want.WriteString("GET " + p + " 200 " + strconv.Itoa(i%7) + "\n")
	}
	long := "/" + strings.Repeat("x", 2*bufferSize) // longer than the buffer
	if err := writeLine(path, "POST", long, 201, 1); err != nil {
		t.Fatal(err)
	}
	want.WriteString("POST " + long + " 201 1\n")
	flushAll()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want.String() {
		t.Errorf("file differs from the lines written (%d vs %d bytes)", len(b), want.Len())
	}
}

func TestRequestLatency(t *testing.T) {
	// Strings that sort before "latencies" and try to look like it: JSON escapes their quotes.
	tricky := `"latencies":{"request":99}`
	doc, err := json.Marshal(map[string]interface{}{
		"client_ip": tricky,
		"consumer":  map[string]interface{}{"id": tricky, "username": tricky + `\`},
		"latencies": map[string]interface{}{"kong": 1, "proxy": 2, "receive": 0, "request": 17},
		"request":   map[string]interface{}{"headers": map[string]interface{}{"latencies": tricky}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in   string
		want float64
	}{
		{string(doc), 17},
		{`{"latencies":{"kong":0,"proxy":-1,"receive":0,"request":1234}}`, 1234},
		{`{"latencies":{"request":2.5}}`, 2.5},
		{`{"latencies":{"kong":0},"request":{"x":5}}`, 0},
		{`{}`, 0},
	} {
		if got := requestLatency(c.in); got != c.want {
			t.Errorf("requestLatency(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
