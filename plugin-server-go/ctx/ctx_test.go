package ctx_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
)

func TestCtx_shared(t *testing.T) {
	k, _ := pdktest.New(pdktest.Request(), nil)
	if f, err := k.Ctx.GetSharedFloat("n"); f != 3 || err != nil {
		t.Errorf("%v %v", f, err)
	}
	if s, err := k.Ctx.GetSharedString("s"); s != "str" || err != nil {
		t.Errorf("%v %v", s, err)
	}
	if _, err := k.Ctx.GetSharedString("n"); err == nil || err.Error() != "expected type: string" {
		t.Errorf("type error: %v", err)
	}
	if v, err := k.Ctx.GetSharedAny("unset"); v != nil || err != nil {
		t.Errorf("%v %v", v, err)
	}
	_ = k.Ctx.SetShared("i", 5)
	if v, _ := k.Ctx.GetSharedAny("i"); v != float64(5) {
		t.Errorf("%#v", v)
	}
}
