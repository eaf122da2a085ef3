/* packet_socket.c - socket programs in traced network namespaces (see
 * packet_socket.h). */
#include "kernel/packet_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

struct iface {
	int ifindex;
	unsigned type;
	char name[IF_NAMESIZE];
};

struct netns_entry {
	uint64_t inum;
	unsigned refs;
	int *socks; /* one per socket program */
	struct iface *ifaces; /* those asked for, as the kernel named them then */
	size_t n_ifaces;
};

struct gh_packet_sockets {
	int prog_array;  /* index i: the gadget's socket program i */
	size_t n_progs;
	struct netns_entry *ns;
	size_t n_ns;
};

static bool is_socket_program(struct bpf_program *prog)
{
	return bpf_program__type(prog) == BPF_PROG_TYPE_SOCKET_FILTER &&
	       bpf_program__autoload(prog) && bpf_program__fd(prog) >= 0;
}

int gh_packet_sockets_new(struct gh_packet_sockets **out, struct bpf_object *obj)
{
	struct gh_packet_sockets *ps;
	struct bpf_program *prog;
	size_t n = 0;
	__u32 i = 0;

	*out = NULL;
	bpf_object__for_each_program(prog, obj)
		n += is_socket_program(prog);
	if (!n)
		return 0;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	ps->n_progs = n;
	ps->prog_array = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "gh_packet_progs", 4, 4,
					(__u32)n, NULL);
	if (ps->prog_array < 0) {
		int ret = -errno;

		free(ps);
		return ret;
	}
	bpf_object__for_each_program(prog, obj) {
		int fd = bpf_program__fd(prog);

		if (!is_socket_program(prog))
			continue;
		if (bpf_map_update_elem(ps->prog_array, &i, &fd, BPF_ANY)) {
			int ret = -errno;

			gh_packet_sockets_free(ps);
			return ret;
		}
		i++;
	}
	*out = ps;
	return 0;
}

/* The dispatcher: skb->cb[0] = netns; tail call prog_array[index];
 * return 0.  r1 (the skb) is left as the tail call needs it. */
static int load_dispatcher(int prog_array, uint32_t netns, uint32_t index)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = (int32_t)netns},
		{.code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_2,
		 .off = offsetof(struct __sk_buff, cb[0])},
		{.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_2,
		 .src_reg = BPF_PSEUDO_MAP_FD, .imm = prog_array},
		{0},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = (int32_t)index},
		{.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_tail_call},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "gh_dispatch", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	return fd < 0 ? -errno : fd;
}

struct opener {
	int netns_fd;
	int ret;  /* the socket, or -errno */
};

/* In a short-lived thread: enter the namespace, open the socket there.
 * The socket keeps its namespace; the thread (and its namespace) ends. */
static void *open_in_netns(void *arg)
{
	struct opener *o = arg;

	if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET)) {
		o->ret = -errno;
		return NULL;
	}
	o->ret = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (o->ret < 0)
		o->ret = -errno;
	return NULL;
}

static int packet_socket_in(int netns_fd)
{
	struct opener o = {.netns_fd = netns_fd, .ret = -EINVAL};
	pthread_t t;
	int ret = pthread_create(&t, NULL, open_in_netns, &o);

	if (ret)
		return -ret;
	pthread_join(t, NULL);
	return o.ret;
}

static int attach_one(struct gh_packet_sockets *ps, int netns_fd, uint32_t netns, uint32_t index)
{
	int sock = packet_socket_in(netns_fd), prog, ret = 0, small = 1;

	if (sock < 0)
		return sock;
	prog = load_dispatcher(ps->prog_array, netns, index);
	if (prog < 0) {
		close(sock);
		return prog;
	}
	/* the programs return 0: nothing is ever queued on the socket */
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)))
		ret = -errno;
	close(prog); /* the socket holds it */
	if (ret) {
		close(sock);
		return ret;
	}
	return sock;
}

static struct netns_entry *find(struct gh_packet_sockets *ps, uint64_t inum)
{
	for (size_t i = 0; i < ps->n_ns; i++)
		if (ps->ns[i].inum == inum)
			return &ps->ns[i];
	return NULL;
}

static void close_sockets(struct gh_packet_sockets *ps, struct netns_entry *e)
{
	for (size_t i = 0; i < ps->n_progs; i++)
		if (e->socks[i] >= 0)
			close(e->socks[i]);
	free(e->socks);
	free(e->ifaces);
}

static int open_entry(struct gh_packet_sockets *ps, int netns_fd, uint64_t inum)
{
	struct netns_entry *grown, e = {.inum = inum, .refs = 1};
	int ret = 0;

	e.socks = malloc(ps->n_progs * sizeof(*e.socks));
	if (!e.socks)
		return -ENOMEM;
	for (size_t i = 0; i < ps->n_progs; i++)
		e.socks[i] = -1;
	for (size_t i = 0; i < ps->n_progs && !ret; i++) {
		e.socks[i] = attach_one(ps, netns_fd, (uint32_t)inum, (uint32_t)i);
		if (e.socks[i] < 0)
			ret = e.socks[i];
	}
	if (!ret) {
		grown = realloc(ps->ns, (ps->n_ns + 1) * sizeof(*grown));
		if (grown) {
			ps->ns = grown;
			ps->ns[ps->n_ns++] = e;
			return 0;
		}
		ret = -ENOMEM;
	}
	close_sockets(ps, &e);
	return ret;
}

int gh_packet_sockets_add(struct gh_packet_sockets *ps, const char *path, uint64_t *netns)
{
	struct netns_entry *e;
	struct stat st;
	int fd, ret;

	fd = open(path ? path : "/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*netns = st.st_ino;
	e = find(ps, st.st_ino);
	if (e) {
		e->refs++;
		ret = 0;
	} else {
		ret = open_entry(ps, path ? fd : -1, st.st_ino);
	}
	close(fd);
	return ret;
}

void gh_packet_sockets_put(struct gh_packet_sockets *ps, uint64_t netns)
{
	struct netns_entry *e = ps ? find(ps, netns) : NULL;

	if (!e || --e->refs)
		return;
	close_sockets(ps, e);
	*e = ps->ns[--ps->n_ns];
}

/* Ask the kernel, on a socket of the namespace (an ioctl goes to the
 * socket's own namespace). */
static int ask_iface(int sock, int ifindex, struct iface *out)
{
	struct ifreq ifr = {.ifr_ifindex = ifindex};

	if (ioctl(sock, SIOCGIFNAME, &ifr))
		return -errno;
	if (ioctl(sock, SIOCGIFHWADDR, &ifr))
		return -errno;
	out->ifindex = ifindex;
	out->type = ifr.ifr_hwaddr.sa_family;
	memcpy(out->name, ifr.ifr_name, IF_NAMESIZE);
	out->name[IF_NAMESIZE - 1] = '\0';
	return 0;
}

int gh_packet_sockets_interface(struct gh_packet_sockets *ps, uint64_t netns, int ifindex,
				const char **name, unsigned *type)
{
	struct netns_entry *e = ps ? find(ps, netns) : NULL;
	struct iface *grown, f;
	int ret;

	if (!e || !ps->n_progs || e->socks[0] < 0)
		return -ENOENT;
	for (size_t i = 0; i < e->n_ifaces; i++) {
		if (e->ifaces[i].ifindex == ifindex) {
			*name = e->ifaces[i].name;
			*type = e->ifaces[i].type;
			return 0;
		}
	}
	ret = ask_iface(e->socks[0], ifindex, &f);
	if (ret)
		return ret;
	grown = realloc(e->ifaces, (e->n_ifaces + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->ifaces = grown;
	e->ifaces[e->n_ifaces] = f;
	*name = e->ifaces[e->n_ifaces].name;
	*type = f.type;
	e->n_ifaces++;
	return 0;
}

size_t gh_packet_sockets_count(const struct gh_packet_sockets *ps)
{
	return ps ? ps->n_ns : 0;
}

void gh_packet_sockets_free(struct gh_packet_sockets *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n_ns; i++)
		close_sockets(ps, &ps->ns[i]);
	free(ps->ns);
	if (ps->prog_array >= 0)
		close(ps->prog_array);
	free(ps);
}
