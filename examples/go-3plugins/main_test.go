package main

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/test"
)

func TestThreePlugins(t *testing.T) {
	env, err := test.New(t, test.Request{Method: "GET", Url: "http://example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Config{{header: "x-bench-a"}, {header: "x-bench-b", Value: "2"}, {header: "x-bench-c"}} {
		env.DoAccess(c)
	}
	h := env.ServiceReq.Headers
	if h.Get("x-bench-a") != "1" || h.Get("x-bench-b") != "2" || h.Get("x-bench-c") != "1" {
		t.Errorf("%v", h)
	}
}
