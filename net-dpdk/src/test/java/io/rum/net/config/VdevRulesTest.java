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
        assertNull(VdevRules.refusal(null));
        assertNull(VdevRules.refusal("net_memif1,role=client,socket=/tmp/x.sock"));
        assertNull(VdevRules.refusal("net_memif1,role=client,zero-copy=no"));
        assertNull(VdevRules.refusal("net_af_packet0,iface=veth0,zero-copy=yes"), "only memif has this flaw");
        assertNull(VdevRules.refusal("net_memif1,role=client,zero-copy=yesplease"), "whole arguments only");
        assertNull(VdevRules.refusal("net_memif1,role=client,owner-uid=0,rsize=20"),
            "any node reads every line: arguments only one memif driver takes are judged by the driver that opens them");
    }
}
