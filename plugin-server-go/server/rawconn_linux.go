package server

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// quietListener hands gRPC connections whose reads and writes do not wake the Go runtime's
// monitor thread (sysmon).
//
// Why: the plugin server is idle between EventBatches, so sysmon parks. The first system call
// made through the syscall package after that (gRPC's read of the next batch) wakes sysmon,
// which then polls every 20 µs for at least a millisecond while the server works. On a VM where
// a thread sleep/wake costs 15-20 µs of CPU that was about a fifth of the server's CPU per
// request. The socket is non-blocking (the runtime's poller waits for readiness), so read(2)
// and write(2) never block and may be issued as raw system calls, which the scheduler does not
// track; waiting for readiness still goes through the poller (syscall.RawConn), deadlines
// included.
type quietListener struct{ net.Listener }

func wrapListener(l net.Listener) net.Listener {
	if os.Getenv("GANTRY_PLUGIN_RAW_IO") == "0" {
		return l
	}
	return quietListener{l}
}

func (l quietListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c, nil
	}
	return &quietConn{Conn: c, raw: raw}, nil
}

// quietConn is a net.Conn whose Read and Write use raw read(2)/write(2) on the non-blocking fd.
// It deliberately does not implement syscall.Conn.
type quietConn struct {
	net.Conn
	raw syscall.RawConn
}

func (c *quietConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			if e == syscall.EINTR {
				continue
			}
			n, errno = int(r), e
			return e != syscall.EAGAIN
		}
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Addr: c.LocalAddr(), Err: os.NewSyscallError("read", errno)}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (c *quietConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	written := 0
	var errno syscall.Errno
	err := c.raw.Write(func(fd uintptr) bool {
		for written < len(p) {
			r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				return false // wait until writable
			}
			if e != 0 {
				errno = e
				return true
			}
			written += int(r)
		}
		return true
	})
	if err == nil && errno != 0 {
		err = &net.OpError{Op: "write", Net: c.LocalAddr().Network(), Addr: c.LocalAddr(), Err: os.NewSyscallError("write", errno)}
	}
	return written, err
}
