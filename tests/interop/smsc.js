// An SMSC built on node-smpp's server side: smscast's ESME is tested against an SMPP
// implementation this project did not write, so a bug shared by our client and our own
// simulator cannot hide. Prints one JSON line per event on stdout for the test to read.
//   node smsc.js PORT
"use strict";
const smpp = require("smpp");

const port = Number(process.argv[2] || 2775);
let nextId = 0x1000;

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

const server = smpp.createServer((session) => {
  session.on("bind_transceiver", (pdu) => {
    if (pdu.system_id !== "smscast" || pdu.password !== "secret") {
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      return;
    }
    session.send(pdu.response());
    emit({ event: "bind", system_id: pdu.system_id });
  });
  session.on("enquire_link", (pdu) => {
    session.send(pdu.response());
    emit({ event: "enquire_link" });
  });
  session.on("unbind", (pdu) => {
    session.send(pdu.response());
    session.close();
  });
  session.on("submit_sm", (pdu) => {
    const id = (nextId++).toString(16);
    const sm = pdu.short_message || {};
    const udh = sm.udh ? Buffer.concat(sm.udh.map((h) => Buffer.from(h))) : Buffer.alloc(0);
    emit({
      event: "submit_sm",
      id,
      destination_addr: pdu.destination_addr,
      source_addr: pdu.source_addr,
      source_addr_ton: pdu.source_addr_ton,
      esm_class: pdu.esm_class,
      data_coding: pdu.data_coding,
      registered_delivery: pdu.registered_delivery,
      validity_period: pdu.validity_period,
      udh: udh.toString("hex"),
      message: typeof sm.message === "string" ? sm.message : Buffer.from(sm.message || []).toString("hex"),
    });
    session.send(pdu.response({ message_id: id }));
    // Receipts give the id in decimal, as some SMSCs do (the ESME maps it back to hex).
    const decimal = parseInt(id, 16).toString(10);
    setTimeout(() => {
      session.deliver_sm({
        esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
        short_message: `id:${decimal} sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 stat:DELIVRD err:000 text:`,
      }, (resp) => emit({ event: "deliver_sm_resp", id, status: resp.command_status }));
    }, 20);
  });
});

server.listen(port, "127.0.0.1", () => emit({ event: "listening", port }));
