package nginx_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
)

func TestNginx(t *testing.T) {
	k, _ := pdktest.New(pdktest.Request(), nil)
	if v, _ := k.Nginx.GetVar("request_uri"); v != "/a/b?q=search+me&x=9&x=10&flag" {
		t.Error(v)
	}
	if v, _ := k.Nginx.GetVar("http_x_multi"); v != "1" {
		t.Error(v)
	}
	_ = k.Nginx.SetCtx("n", 4)
	if n, _ := k.Nginx.GetCtxInt("n"); n != 4 {
		t.Error(n)
	}
	if s, _ := k.Nginx.GetCtxString("n"); s != "" {
		t.Error("no type error, zero value:", s)
	}
	if st, _ := k.Nginx.ReqStartTime(); st != 1700000000.5 {
		t.Error(st)
	}
	if s, _ := k.Nginx.GetSubsystem(); s != "http" {
		t.Error(s)
	}
}
