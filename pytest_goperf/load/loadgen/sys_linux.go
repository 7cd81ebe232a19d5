package main

// Thin wrappers over the Linux calls the event loop makes. Reads and writes
// are non-blocking, so they use RawSyscall (no scheduler hand-off); only
// epoll_wait may block.

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

func rawRead(fd int, b []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}

func rawWrite(fd int, b []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}

// sockaddr resolves the target once; every connection dials the same address.
func sockaddr(hostport string) (syscall.Sockaddr, int, error) {
	a, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return nil, 0, err
	}
	if ip4 := a.IP.To4(); ip4 != nil {
		sa := &syscall.SockaddrInet4{Port: a.Port}
		copy(sa.Addr[:], ip4)
		return sa, syscall.AF_INET, nil
	}
	sa := &syscall.SockaddrInet6{Port: a.Port}
	copy(sa.Addr[:], a.IP.To16())
	return sa, syscall.AF_INET6, nil
}

// dialNonblock starts a TCP connect; inProgress means EPOLLOUT will say how it went.
func dialNonblock(sa syscall.Sockaddr, family int) (fd int, inProgress bool, err error) {
	fd, err = syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, false, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	switch err = syscall.Connect(fd, sa); err {
	case nil:
		return fd, false, nil
	case syscall.EINPROGRESS, syscall.EAGAIN:
		return fd, true, nil
	}
	_ = syscall.Close(fd)
	return -1, false, err
}

func connectError(fd int) error {
	v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

type itimerspec struct{ interval, value syscall.Timespec }

func timerCreate() (int, error) {
	fd, _, e := syscall.RawSyscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// timerSet arms the timer to fire once after d (d <= 0 disarms it).
func timerSet(fd int, d time.Duration) {
	var spec itimerspec
	if d > 0 {
		spec.value = syscall.NsecToTimespec(int64(d))
	}
	syscall.RawSyscall6(syscall.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
}

// epollWait blocks without handing the thread's P to the scheduler
// (RawSyscall): the loop is this process's only busy goroutine, and a
// hand-off per wait cost a futex wake and a context switch per request.
func epollWait(ep int, events []syscall.EpollEvent, ms int) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(ms), 0, 0)
	return int(n), e
}
