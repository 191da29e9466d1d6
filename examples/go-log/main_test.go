package main

import (
	"os"
	"path/filepath"
	"testing"

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
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "GET /some/path 200 3\nGET /some/path 200 3\n"
	if string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}
