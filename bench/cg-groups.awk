# cg-groups.awk: instructions a request by group, from `callgrind_annotate --inclusive=yes
# --tree=caller` output (bench/cpu-request.sh).  -v label=NAME -v n=REQUESTS; prints
# "label group count" lines, counts divided by n.  Costs are inclusive: a group is the cost of
# the calls into it from where the client does that work, so malloc/free also appear inside the
# other groups.  Function names lose their path and compiler suffixes (.part.0, .isra.0, '2).
function fname(s) {
	sub(/ \[.*/, "", s); sub(/ \([0-9,]+x\)$/, "", s); sub(/.*:/, "", s)
	sub(/'[0-9]+$/, "", s); sub(/\..*/, "", s)
	return s
}
function num(s) { gsub(/,/, "", s); return s + 0 }
/PROGRAM TOTALS/ { total = num($1) }
/^ *[0-9,]+ \([ 0-9.]+%\)  < / {
	c = $0; sub(/.*  < +/, "", c); callers[++ncall] = fname(c); ccost[ncall] = num($1); next
}
/^ *[0-9,]+ \([ 0-9.]+%\)  \* / {
	f = $0; sub(/.*  \* +/, "", f); f = fname(f)
	if (!(f in incl)) incl[f] = num($1)
	for (i = 1; i <= ncall; i++) edge[f, callers[i]] += ccost[i]
	ncall = 0; next
}
/^$/ { ncall = 0 }
function e(callee, caller) { return edge[callee, caller] + 0 }
function in_(f) { return incl[f] + 0 }
END {
	curl = in_("curl_multi_socket_action")
	setup = in_("curl_easy_reset") + in_("curl_easy_setopt") + in_("curl_slist_append") + \
	        in_("curl_slist_free_all") + in_("curl_multi_add_handle") + \
	        in_("curl_multi_remove_handle") + in_("curl_easy_init")
	# the body: what the request's start calls apart from curl, the header list and the clock
	body = 0
	for (k in edge) {
		split(k, p, SUBSEP)
		if ((p[2] == "start_ready" || p[2] == "start") && p[1] !~ /^curl_/ && \
		    p[1] !~ /^(snprintf|explicit_bzero|strlen|clock_gettime|now_s|member_key|ark_retry_hdr_init|logf_|ark_errf|fail|__strlen_avx2|__memset_avx2_unaligned_erms)$/)
			body += edge[k]
	}
	reply = 0
	for (k in edge) {
		split(k, p, SUBSEP)
		if (p[2] == "response_ok" && p[1] != "finish")
			reply += edge[k]
	}
	grade = 0
	for (k in edge) {
		split(k, p, SUBSEP)
		if ((p[1] == "ark_grade_memo" || p[1] == "ark_grade_text") && \
		    (p[2] == "on_done" || p[2] == "make_turn"))
			grade += edge[k]
	}
	ms = e("jv_number", "on_done") + e("jv_number", "make_turn") + e("ark_json_ms", "on_done") + \
	     e("ark_json_ms", "make_turn")
	engine = in_("on_done") + in_("put") - grade - ms
	alloc = in_("malloc") + in_("free") + in_("calloc") + in_("realloc")
	printf "%s total %.0f\n", label, total / n
	printf "%s libcurl_transfer_(curl_multi_socket_action) %.0f\n", label, curl / n
	printf "%s curl_handles:_reset,_setopt,_header_list,_add,_remove %.0f\n", label, setup / n
	printf "%s request_body %.0f\n", label, body / n
	printf "%s reply_(parse,_copy_out,_free) %.0f\n", label, reply / n
	printf "%s grading %.0f\n", label, grade / n
	printf "%s ms_field %.0f\n", label, ms / n
	printf "%s turns,_next_prompts,_records_(rest_of_on_done_and_the_writer) %.0f\n", label, engine / n
	printf "%s malloc/free_(inside_all_of_the_above) %.0f\n", label, alloc / n
}
