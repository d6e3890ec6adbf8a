// The command table (CLI.md §3): the one declaration of every command, driving parsing, `help`, usage errors and
// `context`. Adding a command = one file in commands/ exporting its spec + one line here.
import { approveCommand } from "./commands/approve.ts";
import { benchCommand } from "./commands/bench.ts";
import { clearHostnameCommand } from "./commands/clear_hostname.ts";
import { clearTagsCommand } from "./commands/clear_tags.ts";
import { connectCommand } from "./commands/connect.ts";
import { connectionsCommand } from "./commands/connections.ts";
import { deregisterCommand } from "./commands/deregister.ts";
import { disconnectCommand } from "./commands/disconnect.ts";
import { findCommand } from "./commands/find.ts";
import { handshakeCommand } from "./commands/handshake.ts";
import { infoCommand } from "./commands/info.ts";
import { listenCommand } from "./commands/listen.ts";
import { lookupCommand } from "./commands/lookup.ts";
import { networkCreateCommand } from "./commands/network_create.ts";
import { networkInviteCommand } from "./commands/network_invite.ts";
import { networkJoinCommand } from "./commands/network_join.ts";
import { networkLeaveCommand } from "./commands/network_leave.ts";
import { networkListCommand } from "./commands/network_list.ts";
import { networkMembersCommand } from "./commands/network_members.ts";
import { peersCommand } from "./commands/peers.ts";
import { pendingCommand } from "./commands/pending.ts";
import { pingCommand } from "./commands/ping.ts";
import { recvCommand } from "./commands/recv.ts";
import { registerCommand } from "./commands/register.ts";
import { rejectCommand } from "./commands/reject.ts";
import { rotateKeyCommand } from "./commands/rotate_key.ts";
import { sendCommand } from "./commands/send.ts";
import { setHostnameCommand } from "./commands/set_hostname.ts";
import { setTagsCommand } from "./commands/set_tags.ts";
import { setPrivateCommand, setPublicCommand } from "./commands/set_visibility.ts";
import { tracerouteCommand } from "./commands/traceroute.ts";
import { trustCommand } from "./commands/trust.ts";
import { untrustCommand } from "./commands/untrust.ts";
import { configCommand } from "./commands/config.ts";
import { contextCommand } from "./commands/context.ts";
import { helpCommand } from "./commands/help.ts";
import { initCommand } from "./commands/init.ts";
import { registryRunCommand } from "./commands/registry_run.ts";
import { versionCommand } from "./commands/version.ts";
import { gatewayListCommand } from "./commands/gateway_list.ts";
import { gatewayMapCommand } from "./commands/gateway_map.ts";
import { gatewayRunCommand } from "./commands/gateway_run.ts";
import { gatewayStartCommand } from "./commands/gateway_start.ts";
import { gatewayStopCommand } from "./commands/gateway_stop.ts";
import { gatewayUnmapCommand } from "./commands/gateway_unmap.ts";
import { exposeCommand } from "./commands/expose.ts";
import { unexposeCommand } from "./commands/unexpose.ts";
import { daemonRunCommand } from "./commands/daemon_run.ts";
import { daemonStartCommand } from "./commands/daemon_start.ts";
import { daemonStatusCommand } from "./commands/daemon_status.ts";
import { daemonStopCommand } from "./commands/daemon_stop.ts";
import { sendMessageCommand } from "./commands/send_message.ts";
import { sendFileCommand } from "./commands/send_file.ts";
import { subscribeCommand } from "./commands/subscribe.ts";
import { publishCommand } from "./commands/publish.ts";
import { broadcastCommand } from "./commands/broadcast.ts";
import { inboxCommand } from "./commands/inbox.ts";
import { receivedCommand } from "./commands/received.ts";
import { setWebhookCommand } from "./commands/set_webhook.ts";
import { clearWebhookCommand } from "./commands/clear_webhook.ts";
import type { CommandTable } from "./spec.ts";

export const COMMAND_TABLE: CommandTable = [
  daemonStartCommand,
  daemonStopCommand,
  daemonStatusCommand,
  daemonRunCommand,
  registryRunCommand,
  infoCommand,
  registerCommand,
  deregisterCommand,
  rotateKeyCommand,
  setHostnameCommand,
  clearHostnameCommand,
  setPublicCommand,
  setPrivateCommand,
  setTagsCommand,
  clearTagsCommand,
  findCommand,
  lookupCommand,
  networkListCommand,
  networkCreateCommand,
  networkJoinCommand,
  networkLeaveCommand,
  networkMembersCommand,
  networkInviteCommand,
  handshakeCommand,
  pendingCommand,
  approveCommand,
  rejectCommand,
  trustCommand,
  untrustCommand,
  sendCommand,
  recvCommand,
  connectCommand,
  listenCommand,
  sendFileCommand,
  sendMessageCommand,
  subscribeCommand,
  publishCommand,
  broadcastCommand,
  receivedCommand,
  inboxCommand,
  pingCommand,
  benchCommand,
  tracerouteCommand,
  peersCommand,
  connectionsCommand,
  disconnectCommand,
  gatewayStartCommand,
  gatewayRunCommand,
  gatewayStopCommand,
  gatewayMapCommand,
  gatewayUnmapCommand,
  gatewayListCommand,
  exposeCommand,
  unexposeCommand,
  initCommand,
  configCommand,
  setWebhookCommand,
  clearWebhookCommand,
  contextCommand,
  versionCommand,
  helpCommand,
];
