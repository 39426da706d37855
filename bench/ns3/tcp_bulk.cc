// ns-3 reference point for `make bench`: how fast does ns-3 simulate one TCP bulk flow over a
// single point-to-point link? Two nodes, one link (--rate, --delay, --mtu), one NewReno flow
// (BulkSend -> PacketSink) run for --time simulated seconds. Measures the wall time of
// Simulator::Run() alone (setup and teardown excluded) and counts frames put on the wire by
// either device (data segments and ACKs, both directions) plus executed simulator events.
// Prints exactly one JSON line on stdout, so rnicsim's frames-per-wall-second figure can be
// compared with ns-3's on a like-for-like workload.
#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

using namespace ns3;

namespace {

uint64_t g_frames = 0;  // frames that finished transmission on either device

void OnPhyTxEnd(Ptr<const Packet>) { ++g_frames; }

}  // namespace

int main(int argc, char* argv[]) {
  std::string rate = "10Gbps";
  std::string delay = "1us";
  uint32_t mtu = 1500;
  double simTime = 0.2;  // seconds of simulated time
  uint32_t buf = 0;      // TCP send/receive buffer in bytes; 0 = derive from the BDP below

  CommandLine cmd(__FILE__);
  cmd.AddValue("rate", "link data rate (ns-3 DataRate string)", rate);
  cmd.AddValue("delay", "one-way propagation delay (ns-3 Time string)", delay);
  cmd.AddValue("mtu", "device MTU in bytes (IP packet size)", mtu);
  cmd.AddValue("time", "simulated time in seconds", simTime);
  cmd.AddValue("buf", "TCP send/receive buffer in bytes (0 = 4 x BDP, at least 64 KiB)", buf);
  cmd.Parse(argc, argv);

  // Buffers: large enough that the flow is never window-limited, but no larger. Nothing on
  // this path drops, so cwnd grows until the receive window caps it and every byte of window
  // beyond the BDP waits in the device queue. With 16 MiB that is ~11,600 queued segments,
  // and ns-3's TcpTxBuffer::NextSeg, which walks all segments in flight on every send, then
  // takes ~77% of the run (~50x slower per frame): we would time that artefact, not ns-3's
  // per-frame cost. 4 x BDP (RTT = two propagation delays plus two full-frame times) keeps
  // the link busy (goodput = line rate x payload share) with a short standing queue.
  const DataRate linkRate(rate);
  const double rtt = 2 * Time(delay).GetSeconds() +
                     2 * linkRate.CalculateBytesTxTime(mtu + 2).GetSeconds();  // +2: PPP
  if (buf == 0) {
    const double bdpBytes = static_cast<double>(linkRate.GetBitRate()) * rtt / 8;
    buf = std::max<uint32_t>(64u << 10, static_cast<uint32_t>(std::ceil(4 * bdpBytes)));
  }

  // TCP: MSS = MTU - 20 (IPv4) - 20 (TCP) - 12 (timestamp option, on by default in ns-3).
  // Delayed ACK stays at its default (ACK every 2nd segment); SACK stays on (the default).
  const uint32_t mss = mtu - 40 - 12;
  Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(mss));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(buf));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(buf));
  Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));

  NodeContainer nodes;
  nodes.Create(2);

  // Queueing: the root queue disc is removed below, so IP hands packets straight to the
  // device's DropTail queue and nothing else delays or drops them. In-flight data can never
  // exceed the receive window, so a queue of two buffers' worth of MSS-sized packets cannot
  // overflow (a drop would add loss recovery to what we time; queue_drops reports it).
  const uint32_t queuePackets = 2 * (buf / mss + 1);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", DataRateValue(linkRate));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(mtu));
  p2p.SetChannelAttribute("Delay", StringValue(delay));
  p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
               QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, queuePackets)));
  NetDeviceContainer devices = p2p.Install(nodes);

  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper addr;
  addr.SetBase("10.0.0.0", "255.255.255.0");
  Ipv4InterfaceContainer ifaces = addr.Assign(devices);  // 10.0.0.1, 10.0.0.2
  // Assign() installs the default root queue disc (fq_codel); take it off both devices.
  TrafficControlHelper().Uninstall(devices);

  const uint16_t port = 5001;
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(ifaces.GetAddress(1), port));
  bulk.SetAttribute("MaxBytes", UintegerValue(0));  // 0 = send forever
  bulk.SetAttribute("SendSize", UintegerValue(mss));
  ApplicationContainer src = bulk.Install(nodes.Get(0));
  PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                              InetSocketAddress(Ipv4Address::GetAny(), port));
  ApplicationContainer dst = sinkHelper.Install(nodes.Get(1));
  src.Start(Seconds(0.0));
  dst.Start(Seconds(0.0));

  for (uint32_t i = 0; i < devices.GetN(); ++i) {
    devices.Get(i)->TraceConnectWithoutContext("PhyTxEnd", MakeCallback(&OnPhyTxEnd));
  }

  Simulator::Stop(Seconds(simTime));
  const auto t0 = std::chrono::steady_clock::now();
  Simulator::Run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t events = Simulator::GetEventCount();  // events executed by Run()

  uint64_t drops = 0;  // must stay 0, see the queue sizing above
  for (uint32_t i = 0; i < devices.GetN(); ++i) {
    drops += DynamicCast<PointToPointNetDevice>(devices.Get(i))->GetQueue()->GetTotalDroppedPackets();
  }
  const uint64_t rxBytes = DynamicCast<PacketSink>(dst.Get(0))->GetTotalRx();
  Simulator::Destroy();

  std::printf("{\"rate_gbps\":%g,\"mtu\":%u,\"sim_time_s\":%g,\"wall_time_s\":%.6f,"
              "\"frames\":%llu,\"events\":%llu,\"goodput_gbps\":%.4f,"
              "\"frames_per_wall_s\":%.1f,\"wall_over_sim\":%.3f,"
              "\"tcp_buf_bytes\":%u,\"queue_drops\":%llu}\n",
              linkRate.GetBitRate() / 1e9, mtu, simTime, wall,
              static_cast<unsigned long long>(g_frames), static_cast<unsigned long long>(events),
              rxBytes * 8.0 / simTime / 1e9, wall > 0 ? g_frames / wall : 0.0, wall / simTime,
              buf, static_cast<unsigned long long>(drops));
  return drops == 0 ? 0 : 1;
}
