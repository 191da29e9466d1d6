package service_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
)

func TestService(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), nil)
	_ = k.Service.SetTarget("10.0.0.2", 8080)
	_ = k.Service.SetUpstream("pool")
	m := ev.Mutations()
	if m[0].GetTarget().Port != 8080 || m[1].GetUpstream() != "pool" {
		t.Error(m)
	}
}
