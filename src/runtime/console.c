/* The pty of an OCI process with a terminal, sent to the client's console socket. */
#include "runtime/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

int console_connect(const char *path, struct error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return error_set(err, ENAMETOOLONG, "--console-socket %s: path too long", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		error_errno(err, "--console-socket %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_fd(int sock, int fd)
{
	char data = 0;
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int console_setup(int sock, unsigned short rows, unsigned short cols, struct error *err)
{
	cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char name[64];
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)))
		return error_errno(err, "open a pty in the container (/dev/ptmx)");
	cleanup_close int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return error_errno(err, "open %s", name);
	if (rows || cols) {
		struct winsize ws = {.ws_row = rows, .ws_col = cols};
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (send_fd(sock, master) < 0)
		return error_errno(err, "send the pty to the console socket");
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return error_errno(err, "make %s the controlling terminal", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return error_errno(err, "stdio on %s", name);
	return 0;
}
