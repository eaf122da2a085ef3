/* proc_exec.c - exec events from the process events connector
 * (proc_exec.h). */
#include "kernel/proc_exec.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#define GH_PROC_EXEC_RCVBUF (4 << 20)

/* a netlink message carrying one connector message */
#define CN_MSG_SIZE (NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(struct proc_event)))

static int send_op(int fd, enum proc_cn_mcast_op op)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))] __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);

	memset(buf, 0, sizeof(buf));
	nl->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + sizeof(op));
	nl->nlmsg_type = NLMSG_DONE;
	nl->nlmsg_pid = 0;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	return send(fd, buf, nl->nlmsg_len, 0) < 0 ? -errno : 0;
}

int gh_proc_exec_open(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	/* room for a burst of execs while the loop is busy (root may) */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){GH_PROC_EXEC_RCVBUF}, sizeof(int));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = send_op(fd, PROC_CN_MCAST_LISTEN);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int gh_proc_exec_read(int fd, uint32_t *pids, size_t max, int *lost)
{
	char buf[8192] __attribute__((aligned(8)));
	size_t n = 0;

	*lost = 0;
	while (n < max) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nl;

		if (len < 0) {
			if (errno == ENOBUFS) {
				*lost = 1;
				continue;
			}
			if (errno == EINTR)
				continue;
			return n ? (int)n : -errno;
		}
		for (nl = (struct nlmsghdr *)buf; NLMSG_OK(nl, (size_t)len) && n < max;
		     nl = NLMSG_NEXT(nl, len)) {
			const struct cn_msg *cn = NLMSG_DATA(nl);
			/* the event is not aligned in the message: copied out */
			struct proc_event ev;

			if (nl->nlmsg_len < CN_MSG_SIZE || cn->id.idx != CN_IDX_PROC)
				continue;
			memcpy(&ev, cn->data, sizeof(ev));
			if (ev.what == PROC_EVENT_EXEC)
				pids[n++] = (uint32_t)ev.event_data.exec.process_tgid;
		}
	}
	return (int)n;
}

void gh_proc_exec_close(int fd)
{
	if (fd < 0)
		return;
	send_op(fd, PROC_CN_MCAST_IGNORE);
	close(fd);
}
