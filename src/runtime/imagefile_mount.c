/* The fuse mount of an image file, made by the start's child inside its own user and mount
 * namespaces (fuse allows that since Linux 4.18) with the new mount API, and the hand-over of
 * its connection to the parent, which serves it for as long as the container lives. */
#include "runtime/imagefile_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *imagefile_fuse_disabled(void)
{
	const char *v = getenv("BURROW_FUSE");
	if (v &&
	    (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 || strcmp(v, "off") == 0 || strcmp(v, "false") == 0))
		return "BURROW_FUSE=no";
	return NULL;
}

const char *imagefile_fuse_unusable(void)
{
	if (imagefile_fuse_disabled())
		return imagefile_fuse_disabled();
	if (access("/dev/fuse", F_OK) < 0)
		return "/dev/fuse does not exist";
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return "/dev/fuse is not readable and writable by you";
	return NULL;
}

/* One byte and room for one fd: the message both sides use. (The control buffer goes last:
 * clang sees CMSG_SPACE as a variable size.) */
struct fd_message {
	char byte;
	struct iovec iov;
	struct msghdr msg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
};

static void fd_message_init(struct fd_message *m)
{
	memset(m, 0, sizeof(*m));
	m->byte = 'F';
	m->iov = (struct iovec){.iov_base = &m->byte, .iov_len = 1};
	m->msg = (struct msghdr){.msg_iov = &m->iov,
	                         .msg_iovlen = 1,
	                         .msg_control = m->control.buf,
	                         .msg_controllen = sizeof(m->control.buf)};
}

static int send_fd(int sock, int fd)
{
	struct fd_message m;
	fd_message_init(&m);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &m.msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int imagefile_receive_fuse(int sock, struct error *err)
{
	struct fd_message m;
	fd_message_init(&m);
	ssize_t n;
	do
		n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m.msg) : NULL;
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return error_set(err, EIO, "no FUSE connection from the container");
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int imagefile_mount_fuse(int sock, struct error *err)
{
	cleanup_close int dev_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		return error_errno(err, "open /dev/fuse (see 'burrow check')");
	cleanup_close int fs_fd = fsopen("fuse", FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return error_errno(err, "fuse in a user namespace (see 'burrow check')");
	char fd_text[16], uid_text[16], gid_text[16];
	snprintf(fd_text, sizeof(fd_text), "%d", dev_fd);
	snprintf(uid_text, sizeof(uid_text), "%u", (unsigned)getuid());
	snprintf(gid_text, sizeof(gid_text), "%u", (unsigned)getgid());
	/* allow_other: every id of the container may look (the kernel limits it to this user
	 * namespace); default_permissions: the kernel checks modes against the image's owners. */
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "fd", fd_text, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_STRING, "rootmode", "40000", 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_STRING, "user_id", uid_text, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_STRING, "group_id", gid_text, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_FLAG, "allow_other", NULL, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_FLAG, "default_permissions", NULL, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
		return error_errno(err, "fuse mount options");
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return error_errno(err, "mount fuse (see 'burrow check')");
	int mnt_fd =
	        fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt_fd < 0)
		return error_errno(err, "mount fuse");
	if (send_fd(sock, dev_fd) < 0) {
		close(mnt_fd);
		return error_errno(err, "hand the FUSE connection to burrow");
	}
	return mnt_fd;
}
