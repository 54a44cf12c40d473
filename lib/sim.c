/* sim.c: the simulator's model of a team member (first cut: a fixed reply; the full model
 * follows). */
#include "llm.h"

int ark_sim_reply(const ark_member *m, const jv *task, const ark_msg *msgs, size_t nmsg,
                  uint64_t seed, ark_buf *out, jv **info, char *err, size_t errlen)
{
	(void)m; (void)task; (void)msgs; (void)nmsg; (void)seed;
	if (info)
		*info = NULL;
	if (ark_buf_adds(out, "Step 1: No model yet.\n\nAnswer: none") != 0)
		return ark_errf(err, errlen, "out of memory");
	return 0;
}
