#ifndef _INCLUDED_synapses_pre_codeobject_1
#define _INCLUDED_synapses_pre_codeobject_1

void _run_synapses_pre_codeobject_1();

void _debugmsg_synapses_pre_codeobject_1();

#endif
