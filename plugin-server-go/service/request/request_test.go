package request_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
)

func TestServiceRequest(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), nil)
	sr := k.ServiceRequest
	_ = sr.SetHeader("X-Up", "1")
	_ = sr.AddHeader("x-up", "2")
	_ = sr.ClearHeader("apikey")
	_ = sr.SetHeaders(map[string][]string{"x-h": {"a", "b"}})
	_ = sr.SetPath("/up")
	_ = sr.SetQuery(map[string][]string{"z": {"1"}})
	_ = sr.SetMethod("PUT")
	_ = sr.SetScheme("http")
	_ = sr.SetRawBody("body")
	if v, _ := k.Request.GetHeader("apikey"); v != "" {
		t.Error("cleared header still visible")
	}
	if h, _ := k.Request.GetHeaders(-1); len(h["x-up"]) != 2 || len(h["x-h"]) != 2 {
		t.Error(h)
	}
	if q, _ := k.Request.GetRawQuery(); q != "z=1" {
		t.Error(q)
	}
	if m, _ := k.Request.GetMethod(); m != "PUT" {
		t.Error(m)
	}
	if n := len(ev.Mutations()); n != 10 {
		t.Errorf("%d mutations", n)
	}
}
