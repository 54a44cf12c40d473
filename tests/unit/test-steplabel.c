/* test-steplabel: the step judge's verdict (measure/steplabel.h): the last \boxed{K} of a reply,
 * none for 0, -1 or "none", nothing for a reply without a step number. */
#include "unit.h"
#include "measure/steplabel.h"

int main(void)
{
	CHECK(ark_steplabel_verdict("Step 3 is wrong.\n\n\\boxed{3}") == 3);
	CHECK(ark_steplabel_verdict("\\boxed{2} at first, but on reflection \\boxed{ 4 }") == 4);
	CHECK(ark_steplabel_verdict("Every step holds. \\boxed{0}") == 0);
	CHECK(ark_steplabel_verdict("\\boxed{-1}") == 0);
	CHECK(ark_steplabel_verdict("\\boxed{None}") == 0);
	CHECK(ark_steplabel_verdict("The first error is in step 3.") == -1);
	CHECK(ark_steplabel_verdict("\\boxed{3a}") == -1);
	CHECK(ark_steplabel_verdict("\\boxed{}") == -1);
	CHECK(ark_steplabel_verdict(NULL) == -1);
	CHECK_STR(ark_labels_name(ARK_LABELS_OUTCOME), "outcome");
	CHECK_STR(ark_labels_name(ARK_LABELS_ROLLOUT), "rollout");
	CHECK_STR(ark_labels_name(ARK_LABELS_JUDGE), "judge");
	ark_steplabel_opts o;
	ark_steplabel_opts_init(&o);
	CHECK(o.rollouts == 8 && o.labels == ARK_LABELS_ROLLOUT && o.form == ARK_FORM_AUTO);
	return unit_done("test-steplabel");
}
