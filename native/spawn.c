/*
 * boxwire's native spawner for CGI scripts (Linux).
 *
 * Node's child_process.spawn forks the whole Node process (libuv), costing
 * the main thread about a millisecond per script (more as the heap grows),
 * and waits on the event loop until the child has exec'ed; each of the
 * child's three pipes is then a net.Socket. This does what a CGI gateway
 * needs with less: posix_spawn (glibc runs it as a vfork-style clone, so the
 * cost does not grow with the parent's memory) on a thread of libuv's pool,
 * so the event loop does not wait for the exec; the exit watched on a pidfd;
 * the pipes read and written here, on the event loop, with uv_poll_t.
 *
 *   spawn(file, argv, env, cwd, onEvent, input) -> id, or a negative errno
 *
 * starts it, its stdin a pipe when `input`, else /dev/null (a request
 * without a body; lighttpd does the same); onEvent(kind, a, b) then says,
 * from the event loop:
 *
 *   STARTED pid            it runs
 *   FAILED -errno          it could not be started (no such file, not
 *                          executable, out of processes; an exec failure in
 *                          the child is posix_spawn's error): no child, and
 *                          its stdio is closed
 *   STDOUT bytes, end      output: a Buffer (or undefined), and 1 when that
 *   STDERR bytes, end      was the end of it (the pipe is closed then)
 *   DRAIN                  stdin has taken everything written to it
 *   STDIN_CLOSED -errno    stdin cannot take more (the script has closed it)
 *   EXITED code, signal    it has exited and been reaped (code -1 when killed
 *                          by `signal`); always the last event but output
 *
 *   write(id, bytes) -> 1 taken, 0 held (wait for DRAIN), or a negative errno
 *   endInput(id)           closes stdin once what was written has gone
 *   pauseOutput(id, pipe), resumeOutput(id, pipe)
 *                          stop and start reading stdout (1) or stderr (2)
 *   close(id, pipe)        closes a pipe now (0, 1, 2; -1 all three): no
 *                          more events from it
 *   signalGroup(pgid, signal) -> 0 or a negative errno: kill(-pgid), without
 *                          the exception process.kill throws for a group
 *                          that is gone
 *   live()                 children not yet forgotten (for leak checks)
 *   supported()            whether this kernel has pidfds (Linux 5.3)
 *
 * - `file` is looked up on the PATH of `env` when it holds no slash, and an
 *   executable the kernel cannot run (ENOEXEC: no #! line) is run by
 *   /bin/sh, as execvp does and child_process.spawn does.
 * - The child runs in `cwd`, in a session and process group of its own
 *   (setsid, like spawn's `detached`), with signals 1-33 at their default
 *   and none blocked, as after libuv's fork and exec (Node ignores SIGPIPE;
 *   a script must not inherit that). Its stdio are pipes, as Apache and lighttpd give CGI
 *   scripts; nothing else leaks into it (every descriptor Node opens is
 *   close-on-exec, and so are ours).
 * - A child is forgotten (its id no longer valid) once it has exited (or
 *   failed to start) and its output pipes are closed (its stdin, if still
 *   open, is closed then). Until it has exited, the
 *   pidfd watch keeps the event loop alive, as a ChildProcess does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

enum { EVENT_STARTED, EVENT_FAILED, EVENT_STDOUT, EVENT_STDERR, EVENT_DRAIN, EVENT_STDIN_CLOSED, EVENT_EXITED };
enum { STDIN_PIPE, STDOUT_PIPE, STDERR_PIPE };

/* The most read from a pipe for one event (a pipe holds 64 KiB). */
#define READ_SIZE (64 * 1024)
/* Ids are a slot and the generation of what is in it: a stale id finds nothing. */
#define SLOT_BITS 22
#define SLOT_COUNT (1u << SLOT_BITS)

typedef struct child child_t;

typedef struct {
  uv_loop_t *loop;
  napi_async_context async;
  /* Children by slot; a free slot is NULL. */
  child_t **slots;
  uint32_t capacity;
  uint32_t next_free;
  uint32_t generation;
  int live;
  /* The stdin of scripts that get no input, opened once. */
  int devnull;
  char buffer[READ_SIZE];
} module_state;

/* One end of a pipe, ours. */
typedef struct {
  uv_poll_t poll;
  child_t *child;
  /* -1 once closed (or never there: a stdin of /dev/null). */
  int fd;
  /* The poll handle is initialised and not yet closed (stdin gets one only when it has to wait). */
  int polled;
} pipe_end;

struct child {
  napi_env env;
  module_state *state;
  napi_ref on_event;
  uint32_t slot;
  uint32_t generation;
  pid_t pid;
  int pidfd;
  uv_poll_t exit_poll;
  pipe_end pipes[3];
  /* Bytes written to stdin it has not taken yet. */
  char *pending;
  size_t pending_length;
  size_t pending_offset;
  /* Close stdin once the pending bytes have gone. */
  int end_input;
  /* uv handles not yet closed: the pipes' polls and the exit watch. */
  int handles;
  /* Its spawn has finished (started or failed). */
  int settled;
  /* It has exited, or never started: no more events but output. */
  int over;
};

static int pidfd_open(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* -------- JS values in -------- */

/* A JS string as a malloc'ed C string; NULL (and *error set) if it is not one, or holds a NUL. */
static char *string_of(napi_env env, napi_value value, int *error) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    *error = EINVAL;
    return NULL;
  }
  char *text = malloc(length + 1);
  if (!text) {
    *error = ENOMEM;
    return NULL;
  }
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  if (strlen(text) != length) {
    free(text);
    *error = EINVAL;
    return NULL;
  }
  return text;
}

static void free_strings(char **list) {
  if (!list) return;
  for (char **at = list; *at; at++) free(*at);
  free(list);
}

/* A JS array of strings as a NULL-terminated list; NULL (and *error set) on failure. */
static char **strings_of(napi_env env, napi_value array, int *error) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) {
    *error = EINVAL;
    return NULL;
  }
  char **list = calloc((size_t)count + 1, sizeof(char *));
  if (!list) {
    *error = ENOMEM;
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, array, i, &item);
    list[i] = string_of(env, item, error);
    if (!list[i]) {
      free_strings(list);
      return NULL;
    }
  }
  return list;
}

/* -------- starting the child -------- */

/* What the child inherits besides its environment, argv and stdio. */
typedef struct {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
} spawn_setup;

/*
 * sigaddset, also for the two signals glibc keeps for itself (32 and 33),
 * which it refuses: posix_spawn sets those to SIG_IGN in the child unless
 * they are in the set to default, and an ignored signal stays ignored
 * across exec. A forked child gets them at their default (exec resets
 * handlers), so they go in by hand: a sigset_t is a bit mask, signal n at
 * bit n - 1.
 */
static void add_signal(sigset_t *set, int sig) {
  unsigned long *words = (unsigned long *)set;
  size_t bits = 8 * sizeof(unsigned long);
  words[(size_t)(sig - 1) / bits] |= 1UL << ((size_t)(sig - 1) % bits);
}

static int setup_spawn(spawn_setup *setup, const int stdio[3], const char *cwd) {
  int error = posix_spawn_file_actions_init(&setup->actions);
  if (error) return error;
  error = posix_spawnattr_init(&setup->attributes);
  if (error) {
    posix_spawn_file_actions_destroy(&setup->actions);
    return error;
  }
  for (int fd = 0; fd < 3 && !error; fd++) error = posix_spawn_file_actions_adddup2(&setup->actions, stdio[fd], fd);
  if (!error && cwd) error = posix_spawn_file_actions_addchdir_np(&setup->actions, cwd);
  /* Every signal Node may have changed back to its default (libuv resets 1-31 the same way), none blocked. */
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigemptyset(&none);
  for (int sig = 1; sig <= 33; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) add_signal(&defaults, sig);
  if (!error) error = posix_spawnattr_setsigdefault(&setup->attributes, &defaults);
  if (!error) error = posix_spawnattr_setsigmask(&setup->attributes, &none);
  if (!error) error = posix_spawnattr_setflags(&setup->attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (error) {
    posix_spawn_file_actions_destroy(&setup->actions);
    posix_spawnattr_destroy(&setup->attributes);
  }
  return error;
}

/* posix_spawn, and /bin/sh for an executable the kernel cannot run (as execvp does). */
static int spawn_file(pid_t *pid, const char *path, char **argv, char **envp, spawn_setup *setup) {
  int error = posix_spawn(pid, path, &setup->actions, &setup->attributes, argv, envp);
  if (error != ENOEXEC) return error;
  size_t count = 0;
  while (argv[count]) count++;
  char **shell = calloc(count + 2, sizeof(char *));
  if (!shell) return ENOMEM;
  shell[0] = "/bin/sh";
  shell[1] = (char *)path;
  for (size_t i = 1; i < count; i++) shell[i + 1] = argv[i];
  error = posix_spawn(pid, "/bin/sh", &setup->actions, &setup->attributes, shell, envp);
  free(shell);
  return error;
}

/* The PATH of the child's environment, or the default execvp uses when it has none. */
static const char *search_path(char **envp) {
  for (char **at = envp; *at; at++)
    if (strncmp(*at, "PATH=", 5) == 0) return *at + 5;
  return "/bin:/usr/bin";
}

/*
 * execvp's search: a name with a slash is run as it is; otherwise each PATH
 * directory in turn (an empty one is the working directory), going on past
 * the ones where it is missing, and reporting EACCES if some candidate was
 * there but not executable.
 */
static int spawn_command(pid_t *pid, const char *file, char **argv, char **envp, spawn_setup *setup) {
  if (strchr(file, '/')) return spawn_file(pid, file, argv, envp, setup);
  if (*file == '\0') return ENOENT;
  const char *path = search_path(envp);
  size_t file_length = strlen(file);
  char *candidate = malloc(strlen(path) + file_length + 2);
  if (!candidate) return ENOMEM;
  int denied = 0, error = ENOENT;
  for (const char *dir = path;; dir++) {
    const char *end = strchrnul(dir, ':');
    size_t dir_length = (size_t)(end - dir);
    memcpy(candidate, dir, dir_length);
    size_t at = dir_length;
    if (dir_length > 0) candidate[at++] = '/';
    memcpy(candidate + at, file, file_length + 1);
    struct stat info;
    /* A quick look first, for absolute directories: exec would fail the same way, and a failed spawn costs a clone. */
    if (candidate[0] == '/' && stat(candidate, &info) != 0) {
      error = errno;
    } else {
      error = spawn_file(pid, candidate, argv, envp, setup);
    }
    if (error == EACCES) denied = 1;
    else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV && error != ETIMEDOUT) break;
    if (*end == '\0') break;
    dir = end;
  }
  free(candidate);
  if (error && denied && (error == ENOENT || error == ENOTDIR || error == ESTALE || error == ENODEV || error == ETIMEDOUT)) error = EACCES;
  return error;
}


/* -------- children by id -------- */

static double id_of(child_t *child) {
  return (double)child->generation * SLOT_COUNT + child->slot;
}

static child_t *child_of(napi_env env, module_state *state, napi_value id_value) {
  double id;
  if (napi_get_value_double(env, id_value, &id) != napi_ok || id < 0) return NULL;
  uint64_t number = (uint64_t)id;
  uint32_t slot = (uint32_t)(number % SLOT_COUNT);
  if (slot >= state->capacity) return NULL;
  child_t *child = state->slots[slot];
  return child && child->generation == (uint32_t)(number / SLOT_COUNT) ? child : NULL;
}

static int take_slot(module_state *state, child_t *child) {
  uint32_t slot = state->next_free;
  while (slot < state->capacity && state->slots[slot]) slot++;
  if (slot == state->capacity) {
    uint32_t capacity = state->capacity ? state->capacity * 2 : 64;
    if (capacity > SLOT_COUNT) return ENOMEM;
    child_t **slots = realloc(state->slots, capacity * sizeof(child_t *));
    if (!slots) return ENOMEM;
    memset(slots + state->capacity, 0, (capacity - state->capacity) * sizeof(child_t *));
    state->slots = slots;
    state->capacity = capacity;
  }
  state->slots[slot] = child;
  state->next_free = slot + 1;
  child->slot = slot;
  child->generation = ++state->generation % (1u << 30);
  state->live++;
  return 0;
}

/*
 * Forgets a child once nothing more can happen to it. Its stdin may still be
 * open, unwatched (a request whose body was still coming when the script
 * exited): nobody reads it now, and a forgotten id cannot close it, so it
 * goes here.
 */
static void forget_if_done(child_t *child) {
  if (!child->over || child->handles > 0) return;
  if (child->pipes[STDIN_PIPE].fd >= 0) close(child->pipes[STDIN_PIPE].fd);
  module_state *state = child->state;
  state->slots[child->slot] = NULL;
  if (child->slot < state->next_free) state->next_free = child->slot;
  state->live--;
  if (child->on_event) napi_delete_reference(child->env, child->on_event);
  free(child->pending);
  free(child);
}

/* -------- events to JS -------- */

static void emit(child_t *child, int kind, napi_value a, napi_value b) {
  napi_env env = child->env;
  napi_value callback, receiver, args[3];
  napi_get_reference_value(env, child->on_event, &callback);
  napi_get_global(env, &receiver);
  napi_create_int32(env, kind, &args[0]);
  args[1] = a;
  args[2] = b;
  if (!a) napi_get_undefined(env, &args[1]);
  if (!b) napi_get_undefined(env, &args[2]);
  /* Through MakeCallback, so that ticks and microtasks run after it; a throw is an uncaught exception. */
  if (napi_make_callback(env, child->state->async, receiver, callback, 3, args, NULL) == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

static void emit_numbers(child_t *child, int kind, int a, int b) {
  napi_handle_scope scope;
  napi_open_handle_scope(child->env, &scope);
  napi_value first, second;
  napi_create_int32(child->env, a, &first);
  napi_create_int32(child->env, b, &second);
  emit(child, kind, first, second);
  napi_close_handle_scope(child->env, scope);
}

/* -------- the pipes -------- */

static void on_poll_closed(uv_handle_t *handle) {
  child_t *child = ((pipe_end *)handle->data)->child;
  child->handles--;
  forget_if_done(child);
}

static void close_pipe(child_t *child, int which) {
  pipe_end *end = &child->pipes[which];
  if (end->fd < 0) return;
  if (which == STDIN_PIPE) {
    free(child->pending);
    child->pending = NULL;
    child->pending_length = child->pending_offset = 0;
  }
  if (end->polled) {
    end->polled = 0;
    /* uv_close stops the poll at once (epoll_ctl DEL), so the descriptor can go now. */
    uv_close((uv_handle_t *)&end->poll, on_poll_closed);
  }
  close(end->fd);
  end->fd = -1;
}

static void close_pipes(child_t *child) {
  for (int i = 0; i < 3; i++) close_pipe(child, i);
}

/* stdout or stderr readable (or at its end): what is there, and whether that was the end, in one event. */
static void on_output(uv_poll_t *poll, int status, int events) {
  (void)events;
  pipe_end *end = poll->data;
  child_t *child = end->child;
  char *buffer = child->state->buffer;
  size_t length = 0;
  int finished = status < 0;
  while (!finished && length < READ_SIZE) {
    ssize_t got = read(end->fd, buffer + length, READ_SIZE - length);
    if (got > 0) {
      length += (size_t)got;
    } else if (got == 0) {
      finished = 1;
    } else if (errno != EINTR) {
      /* EAGAIN: all there is for now. Anything else ends the output. */
      if (errno != EAGAIN && errno != EWOULDBLOCK) finished = 1;
      break;
    }
  }
  int which = end == &child->pipes[STDOUT_PIPE] ? STDOUT_PIPE : STDERR_PIPE;
  if (finished) close_pipe(child, which);
  napi_handle_scope scope;
  napi_open_handle_scope(child->env, &scope);
  napi_value bytes = NULL, last;
  if (length > 0) napi_create_buffer_copy(child->env, length, buffer, NULL, &bytes);
  napi_create_int32(child->env, finished, &last);
  emit(child, which == STDOUT_PIPE ? EVENT_STDOUT : EVENT_STDERR, bytes, last);
  napi_close_handle_scope(child->env, scope);
}

/* Writes what stdin has not taken yet; 0 when all of it has gone, EAGAIN when some is left, or the error. */
static int flush_input(child_t *child) {
  while (child->pending_offset < child->pending_length) {
    ssize_t wrote = write(child->pipes[STDIN_PIPE].fd, child->pending + child->pending_offset, child->pending_length - child->pending_offset);
    if (wrote >= 0) child->pending_offset += (size_t)wrote;
    else if (errno != EINTR) return errno == EWOULDBLOCK ? EAGAIN : errno;
  }
  free(child->pending);
  child->pending = NULL;
  child->pending_length = child->pending_offset = 0;
  return 0;
}

static void on_input_writable(uv_poll_t *poll, int status, int events) {
  (void)events;
  child_t *child = ((pipe_end *)poll->data)->child;
  int error = status < 0 ? EPIPE : flush_input(child);
  if (error == EAGAIN) return;
  if (error) {
    close_pipe(child, STDIN_PIPE);
    emit_numbers(child, EVENT_STDIN_CLOSED, -error, 0);
    return;
  }
  uv_poll_stop(poll);
  if (child->end_input) close_pipe(child, STDIN_PIPE);
  emit_numbers(child, EVENT_DRAIN, 0, 0);
}

/* -------- watching its exit -------- */

static void on_exit_watch_closed(uv_handle_t *handle) {
  child_t *child = handle->data;
  close(child->pidfd);
  child->handles--;
  forget_if_done(child);
}

static void on_pidfd(uv_poll_t *poll, int status, int events) {
  (void)events;
  child_t *child = poll->data;
  int wait_status = 0;
  pid_t reaped;
  do reaped = waitpid(child->pid, &wait_status, WNOHANG);
  while (reaped < 0 && errno == EINTR);
  /* Not exited yet (a spurious wake-up, or a poll error, which stops the poll): keep watching; it must be reaped. */
  if (reaped == 0) {
    if (status < 0) uv_poll_start(poll, UV_READABLE, on_pidfd);
    return;
  }
  uv_close((uv_handle_t *)poll, on_exit_watch_closed);
  child->over = 1;
  /* reaped < 0 (someone else reaped it) cannot tell how it ended: reported as a plain exit 0. */
  if (reaped != child->pid) wait_status = 0;
  emit_numbers(child, EVENT_EXITED, WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1, WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

/* -------- spawning -------- */

/* One spawn on its way: made on the main thread, run on a thread of libuv's pool, finished on the main thread. */
typedef struct {
  napi_async_work work;
  child_t *child;
  char *file;
  char **argv;
  char **envp;
  char *cwd;
  /* The child's ends of its pipes, closed once it has them. */
  int child_ends[3];
  /* Its stdin is /dev/null (the module's `devnull`), not a pipe. */
  int null_input;
  int devnull;
  pid_t pid;
  int pidfd;
  int error;
} spawn_job;

static void close_child_ends(spawn_job *job) {
  for (int i = 0; i < 3; i++) {
    if (job->child_ends[i] >= 0) close(job->child_ends[i]);
    job->child_ends[i] = -1;
  }
}

static void free_job(spawn_job *job) {
  free(job->file);
  free_strings(job->argv);
  free_strings(job->envp);
  free(job->cwd);
  close_child_ends(job);
  free(job);
}

/* Kills and reaps a child that cannot be watched: it must not run unwatched. */
static void abandon(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

/* On a pool thread: posix_spawn waits there until the child has exec'ed (or failed to), not on the event loop. */
static void run_spawn(napi_env env, void *data) {
  (void)env;
  spawn_job *job = data;
  spawn_setup setup;
  int stdio[3] = {job->null_input ? job->devnull : job->child_ends[0], job->child_ends[1], job->child_ends[2]};
  job->error = setup_spawn(&setup, stdio, job->cwd);
  if (job->error) return;
  job->error = spawn_command(&job->pid, job->file, job->argv, job->envp, &setup);
  posix_spawn_file_actions_destroy(&setup.actions);
  posix_spawnattr_destroy(&setup.attributes);
  /*
   * Started: its ends are its own now, and our copies go, so that its exit
   * is the end of its output. Not started: they stay until the main thread
   * has closed our ends, or the end of an output nobody wrote would be seen
   * before the failure.
   */
  if (job->error) return;
  close_child_ends(job);
  job->pidfd = pidfd_open(job->pid);
  if (job->pidfd < 0) {
    job->error = errno;
    abandon(job->pid);
  }
}

/* Back on the main thread: watch the child's exit, and say how the spawn went. */
static void finish_spawn(napi_env env, napi_status status, void *data) {
  spawn_job *job = data;
  child_t *child = job->child;
  napi_delete_async_work(env, job->work);
  if (status != napi_ok && !job->error) {
    /* Cancelled: it never ran; should there be a child anyway, it goes. */
    if (job->pid > 0) {
      abandon(job->pid);
      close(job->pidfd);
    }
    job->error = ECANCELED;
  }
  if (!job->error) {
    child->exit_poll.data = child;
    if (uv_poll_init(child->state->loop, &child->exit_poll, job->pidfd) != 0) {
      job->error = EIO;
    } else {
      child->handles++;
      if (uv_poll_start(&child->exit_poll, UV_READABLE, on_pidfd) != 0) {
        job->error = EIO;
        child->pidfd = job->pidfd;
        job->pidfd = -1;
        uv_close((uv_handle_t *)&child->exit_poll, on_exit_watch_closed);
      }
    }
    if (job->error) {
      abandon(job->pid);
      if (job->pidfd >= 0) close(job->pidfd);
    }
  }
  child->settled = 1;
  if (job->error) {
    child->over = 1;
    close_pipes(child);
    emit_numbers(child, EVENT_FAILED, -job->error, 0);
  } else {
    child->pid = job->pid;
    child->pidfd = job->pidfd;
    emit_numbers(child, EVENT_STARTED, job->pid, 0);
  }
  free_job(job);
  forget_if_done(child);
}

/* -------- the functions -------- */

static napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

static napi_value errno_value(napi_env env, int error) {
  return number(env, -error);
}

static module_state *arguments(napi_env env, napi_callback_info info, size_t count, napi_value *args) {
  module_state *state;
  size_t argc = count;
  napi_get_cb_info(env, info, &argc, args, NULL, (void **)&state);
  for (size_t i = argc; i < count; i++) napi_get_undefined(env, &args[i]);
  return state;
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  napi_value args[6];
  module_state *state = arguments(env, info, 6, args);
  napi_valuetype callback_type;
  bool input = false;
  if (napi_typeof(env, args[4], &callback_type) != napi_ok || callback_type != napi_function || napi_get_value_bool(env, args[5], &input) != napi_ok) {
    napi_throw_type_error(env, NULL, "spawn(file, argv, env, cwd, onEvent, input)");
    return NULL;
  }
  spawn_job *job = calloc(1, sizeof(spawn_job));
  child_t *child = calloc(1, sizeof(child_t));
  if (!job || !child) {
    free(job);
    free(child);
    return errno_value(env, ENOMEM);
  }
  job->child = child;
  job->pidfd = -1;
  child->env = env;
  child->state = state;
  child->pidfd = -1;
  for (int i = 0; i < 3; i++) {
    job->child_ends[i] = -1;
    child->pipes[i].fd = -1;
    child->pipes[i].child = child;
    child->pipes[i].poll.data = &child->pipes[i];
  }
  int error = 0;
  job->file = string_of(env, args[0], &error);
  if (job->file) job->argv = strings_of(env, args[1], &error);
  if (job->argv) job->envp = strings_of(env, args[2], &error);
  if (job->envp) job->cwd = string_of(env, args[3], &error);
  /* stdin: the child reads [0]; stdout and stderr: the child writes [1]. Without input, stdin is /dev/null. */
  for (int i = input ? 0 : 1; i < 3 && !error; i++) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) {
      error = errno;
      break;
    }
    int ours = i == STDIN_PIPE ? 1 : 0;
    child->pipes[i].fd = ends[ours];
    job->child_ends[i] = ends[1 - ours];
  }
  if (!error && !input && state->devnull < 0) {
    state->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (state->devnull < 0) error = errno;
  }
  job->null_input = !input;
  job->devnull = state->devnull;
  if (!error) error = take_slot(state, child);
  if (error) {
    for (int i = 0; i < 3; i++)
      if (child->pipes[i].fd >= 0) close(child->pipes[i].fd);
    free_job(job);
    free(child);
    return errno_value(env, error);
  }
  /* From here on the child is known by its slot, and close_pipes closes its pipes. Our ends are non-blocking (the child's stay blocking). */
  for (int i = 0; i < 3 && !error; i++) {
    pipe_end *end = &child->pipes[i];
    if (end->fd < 0) continue;
    if (i == STDIN_PIPE) {
      /* Watched only once a write has to wait. */
      int on = 1;
      if (ioctl(end->fd, FIONBIO, &on) != 0) error = errno;
    } else if (uv_poll_init(state->loop, &end->poll, end->fd) == 0) {
      end->polled = 1;
      child->handles++;
      if (uv_poll_start(&end->poll, UV_READABLE, on_output) != 0) error = EIO;
    } else {
      error = EIO;
    }
  }
  napi_value name;
  napi_create_string_utf8(env, "boxwire.spawn", NAPI_AUTO_LENGTH, &name);
  if (!error && napi_create_async_work(env, NULL, name, run_spawn, finish_spawn, job, &job->work) != napi_ok) error = ENOMEM;
  if (!error) {
    napi_create_reference(env, args[4], 1, &child->on_event);
    if (napi_queue_async_work(env, job->work) != napi_ok) {
      napi_delete_async_work(env, job->work);
      error = ENOMEM;
    }
  }
  if (error) {
    free_job(job);
    child->settled = child->over = 1;
    close_pipes(child);
    forget_if_done(child);
    return errno_value(env, error);
  }
  return number(env, id_of(child));
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  napi_value args[2];
  module_state *state = arguments(env, info, 2, args);
  child_t *child = child_of(env, state, args[0]);
  pipe_end *input = child ? &child->pipes[STDIN_PIPE] : NULL;
  if (!input || input->fd < 0 || child->end_input) return errno_value(env, EPIPE);
  void *data;
  size_t length;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, args[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "write(id, Uint8Array)");
    return NULL;
  }
  size_t taken = 0;
  if (child->pending_length == 0) {
    while (taken < length) {
      ssize_t wrote = write(input->fd, (char *)data + taken, length - taken);
      if (wrote >= 0) {
        taken += (size_t)wrote;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else if (errno != EINTR) {
        int error = errno;
        close_pipe(child, STDIN_PIPE);
        return errno_value(env, error);
      }
    }
    if (taken == length) return number(env, 1);
  }
  /* Held until the pipe takes it; watched from the first time it has to wait. */
  if (!input->polled) {
    if (uv_poll_init(child->state->loop, &input->poll, input->fd) != 0) return errno_value(env, EIO);
    input->polled = 1;
    child->handles++;
  }
  char *pending = realloc(child->pending, child->pending_length + (length - taken));
  if (!pending) return errno_value(env, ENOMEM);
  memcpy(pending + child->pending_length, (char *)data + taken, length - taken);
  child->pending = pending;
  child->pending_length += length - taken;
  uv_poll_start(&input->poll, UV_WRITABLE, on_input_writable);
  return number(env, 0);
}

static napi_value js_end_input(napi_env env, napi_callback_info info) {
  napi_value args[1];
  module_state *state = arguments(env, info, 1, args);
  child_t *child = child_of(env, state, args[0]);
  if (child) {
    if (child->pending_length > 0) child->end_input = 1;
    else close_pipe(child, STDIN_PIPE);
  }
  return NULL;
}

/* The pipe `which` (0 stdin, 1 stdout, 2 stderr; -1 all for close) of the child `id`. */
static child_t *child_and_pipe(napi_env env, napi_callback_info info, int *which) {
  napi_value args[2];
  module_state *state = arguments(env, info, 2, args);
  if (napi_get_value_int32(env, args[1], which) != napi_ok || *which < -1 || *which > 2) *which = -1;
  return child_of(env, state, args[0]);
}

static napi_value set_reading(napi_env env, napi_callback_info info, int reading) {
  int which;
  child_t *child = child_and_pipe(env, info, &which);
  if (child && which > STDIN_PIPE && child->pipes[which].polled) {
    if (reading) uv_poll_start(&child->pipes[which].poll, UV_READABLE, on_output);
    else uv_poll_stop(&child->pipes[which].poll);
  }
  return NULL;
}

static napi_value js_pause_output(napi_env env, napi_callback_info info) {
  return set_reading(env, info, 0);
}

static napi_value js_resume_output(napi_env env, napi_callback_info info) {
  return set_reading(env, info, 1);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  int which;
  child_t *child = child_and_pipe(env, info, &which);
  if (child && which < 0) close_pipes(child);
  else if (child) close_pipe(child, which);
  return NULL;
}

static napi_value js_signal_group(napi_env env, napi_callback_info info) {
  napi_value args[2];
  arguments(env, info, 2, args);
  int32_t pgid = 0, signal = 0;
  napi_get_value_int32(env, args[0], &pgid);
  napi_get_value_int32(env, args[1], &signal);
  /* Only a group: never 0 or -1, which would reach far more. */
  int error = pgid > 0 ? (kill(-pgid, signal) == 0 ? 0 : errno) : EINVAL;
  return errno_value(env, error);
}

static napi_value js_live(napi_env env, napi_callback_info info) {
  module_state *state = arguments(env, info, 0, NULL);
  return number(env, state->live);
}

static napi_value js_supported(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = pidfd_open(getpid());
  if (fd >= 0) close(fd);
  napi_value result;
  napi_get_boolean(env, fd >= 0, &result);
  return result;
}

static void destroy_state(napi_env env, void *data, void *hint) {
  (void)hint;
  module_state *state = data;
  napi_async_destroy(env, state->async);
  if (state->devnull >= 0) close(state->devnull);
  /* The environment is going with children still known (their handles go with the loop): they keep the state. */
  if (state->live > 0) return;
  free(state->slots);
  free(state);
}

NAPI_MODULE_INIT() {
  module_state *state = calloc(1, sizeof(module_state));
  if (!state) return NULL;
  state->devnull = -1;
  napi_value name;
  napi_create_string_utf8(env, "boxwire.cgi", NAPI_AUTO_LENGTH, &name);
  if (napi_get_uv_event_loop(env, &state->loop) != napi_ok || napi_async_init(env, NULL, name, &state->async) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, "boxwire spawner: no event loop");
    return NULL;
  }
  napi_set_instance_data(env, state, destroy_state, NULL);
  napi_property_descriptor functions[] = {
      {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_enumerable, state},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, state},
      {"endInput", NULL, js_end_input, NULL, NULL, NULL, napi_enumerable, state},
      {"pauseOutput", NULL, js_pause_output, NULL, NULL, NULL, napi_enumerable, state},
      {"resumeOutput", NULL, js_resume_output, NULL, NULL, NULL, napi_enumerable, state},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, state},
      {"signalGroup", NULL, js_signal_group, NULL, NULL, NULL, napi_enumerable, state},
      {"live", NULL, js_live, NULL, NULL, NULL, napi_enumerable, state},
      {"supported", NULL, js_supported, NULL, NULL, NULL, napi_enumerable, state},
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}
