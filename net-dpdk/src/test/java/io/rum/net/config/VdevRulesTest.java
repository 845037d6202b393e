package io.rum.net.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VdevRulesTest
{
    @Test
    void memifZeroCopyIsRefusedWithItsReason()
    {
        final String why = VdevRules.refusal("net_memif1,role=client,socket=/tmp/x.sock, zero-copy=yes");
        assertNotNull(why);
        assertTrue(why.contains("zero-copy=yes") && why.contains("copy mode"), why);
    }

    @Test
    void everythingElseIsLeftToDpdk()
    {
        assertNull(VdevRules.refusal(null, false));
        assertNull(VdevRules.refusal("net_memif1,role=client,socket=/tmp/x.sock", false));
        assertNull(VdevRules.refusal("net_memif1,role=client,zero-copy=no", false));
        assertNull(VdevRules.refusal("net_af_packet0,iface=veth0,zero-copy=yes", false), "only memif has this flaw");
        assertNull(VdevRules.refusal("net_memif1,role=client,zero-copy=yesplease", false), "whole arguments only");
        assertNull(VdevRules.refusal("net_memif1,role=client,owner-uid=0", false), "DPDK's PMD takes it");
    }

    @Test
    void rumsMemifDriverChecksItsArgumentsNow()
    {
        assertNull(VdevRules.refusal("net_memif1,role=client,socket=/tmp/x.sock,bsize=10240,rsize=10", true));
        assertNull(VdevRules.refusal("net_af_packet0,iface=veth0,framecnt=512", true), "not memif: left to DPDK");
        final String unknown = VdevRules.refusal("net_memif1,role=client,owner-uid=0", true);
        assertNotNull(unknown);
        assertTrue(unknown.contains("\"owner-uid\" is not supported"), unknown);
        final String range = VdevRules.refusal("net_memif1,role=client,rsize=20", true);
        assertNotNull(range);
        assertTrue(range.contains("rsize must be in 1..14: 20"), range);
    }
}
