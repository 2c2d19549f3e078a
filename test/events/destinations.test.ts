import { describe, expect, it } from "vitest";
import {
  checkDestinationAddress,
  checkDestinationHost,
  classifyAddress,
  PUBLIC_DESTINATIONS_ONLY,
  readDestinationPolicy,
} from "../../src/events/destinations.js";

const CLASSES: readonly (readonly [address: string, kind: string, range?: string])[] = [
  ["8.8.8.8", "public"],
  ["93.184.216.34", "public"],
  ["2606:4700:4700::1111", "public"],
  ["2001:4860:4860::8888", "public"],
  ["127.0.0.1", "loopback", "127.0.0.0/8"],
  ["127.255.255.254", "loopback", "127.0.0.0/8"],
  ["::1", "loopback", "::1/128"],
  ["0:0:0:0:0:0:0:1", "loopback", "::1/128"],
  ["10.0.0.1", "private", "10.0.0.0/8"],
  ["172.16.0.1", "private", "172.16.0.0/12"],
  ["172.31.255.255", "private", "172.16.0.0/12"],
  ["172.32.0.1", "public"],
  ["192.168.1.1", "private", "192.168.0.0/16"],
  ["169.254.1.1", "link-local", "169.254.0.0/16"],
  ["fe80::1", "link-local", "fe80::/10"],
  ["fd00::1", "unique-local", "fc00::/7"],
  ["fc00::1", "unique-local", "fc00::/7"],
  ["fec0::1", "private", "fec0::/10"],
  ["100.64.0.1", "shared", "100.64.0.0/10"],
  ["100.127.255.255", "shared", "100.64.0.0/10"],
  ["100.128.0.1", "public"],
  ["169.254.169.254", "metadata", "169.254.169.254/32"],
  ["169.254.170.2", "metadata", "169.254.170.2/32"],
  ["100.100.100.200", "metadata", "100.100.100.200/32"],
  ["192.0.0.192", "metadata", "192.0.0.192/32"],
  ["fd00:ec2::254", "metadata", "fd00:ec2::254/128"],
  ["224.0.0.1", "multicast", "224.0.0.0/4"],
  ["ff02::1", "multicast", "ff00::/8"],
  ["0.0.0.0", "unspecified", "0.0.0.0/8"],
  ["::", "unspecified", "::/128"],
  ["255.255.255.255", "reserved", "240.0.0.0/4"],
  ["192.0.2.1", "reserved", "192.0.2.0/24"],
  ["2001:db8::1", "reserved", "2001:db8::/32"],
  ["::7f00:1", "reserved", "::/96"],
  ["4000::1", "reserved", "outside 2000::/3"],
];

const EMBEDDED: readonly (readonly [address: string, kind: string, embedded: string])[] = [
  ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
  ["::ffff:7f00:1", "loopback", "127.0.0.1"],
  ["::ffff:169.254.169.254", "metadata", "169.254.169.254"],
  ["::ffff:10.1.2.3", "private", "10.1.2.3"],
  ["::ffff:8.8.8.8", "public", "8.8.8.8"],
  ["64:ff9b::a00:1", "private", "10.0.0.1"],
  ["2002:7f00:1::", "loopback", "127.0.0.1"],
  ["2002:808:808::1", "public", "8.8.8.8"],
];

describe("classifyAddress", () => {
  for (const [address, kind, range] of CLASSES) {
    it(`classifies ${address} as ${kind}`, () => {
      expect(classifyAddress(address)).toEqual(range === undefined ? { kind } : { kind, range });
    });
  }

  it.each(EMBEDDED)("judges the IPv6 form %s by the IPv4 address it carries (%s)", (address, kind, embedded) => {
    expect(classifyAddress(address)).toMatchObject({ kind, embedded });
  });

  it("answers undefined for what is not an IP address", () => {
    for (const text of ["example.com", "127.1", "fe80::1%eth0", "", "1.2.3.4.5"]) expect(classifyAddress(text)).toBeUndefined();
  });
});

describe("checkDestinationAddress", () => {
  it("allows public addresses by default and refuses the others, naming the address, its kind and range", () => {
    expect(checkDestinationAddress(PUBLIC_DESTINATIONS_ONLY, "8.8.8.8")).toBeUndefined();
    expect(checkDestinationAddress(PUBLIC_DESTINATIONS_ONLY, "127.0.0.1")).toBe("127.0.0.1 is a loopback address (127.0.0.0/8)");
    expect(checkDestinationAddress(PUBLIC_DESTINATIONS_ONLY, "::ffff:7f00:1")).toBe("::ffff:7f00:1 (a form of 127.0.0.1) is a loopback address (127.0.0.0/8)");
    expect(checkDestinationAddress(PUBLIC_DESTINATIONS_ONLY, "169.254.169.254")).toBe("169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32)");
    for (const [address, kind] of CLASSES) {
      expect(checkDestinationAddress(PUBLIC_DESTINATIONS_ONLY, address) === undefined, address).toBe(kind === "public");
    }
  });

  it("with true, admits loopback, private, link-local, unique-local and shared addresses but not metadata, multicast, unspecified or reserved ones", () => {
    const policy = readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "true" });
    for (const address of ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "169.254.1.1", "fe80::1", "fd00::1", "100.64.0.1", "::ffff:10.0.0.1"]) {
      expect(checkDestinationAddress(policy, address), address).toBeUndefined();
    }
    for (const address of ["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254", "224.0.0.1", "0.0.0.0", "::", "240.0.0.1"]) {
      expect(checkDestinationAddress(policy, address), address).toBeDefined();
    }
  });

  it("with a list of ranges, admits exactly the addresses inside them, IPv4-mapped forms included", () => {
    const policy = readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: " 10.0.0.0/8, fd00::/8 ,169.254.169.254" });
    for (const address of ["10.0.0.1", "10.255.255.255", "::ffff:10.0.0.1", "fd00::1", "fdff::1", "169.254.169.254"]) {
      expect(checkDestinationAddress(policy, address), address).toBeUndefined();
    }
    for (const address of ["172.16.0.1", "127.0.0.1", "192.168.1.1", "fc00::1", "::1", "169.254.169.253"]) {
      expect(checkDestinationAddress(policy, address), address).toBeDefined();
    }
  });

  it("refuses what is not an IP address", () => {
    expect(checkDestinationAddress(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "true" }), "localhost")).toBe('"localhost" is not an IP address');
  });
});

describe("checkDestinationHost", () => {
  it("checks IP literals, localhost and its subdomains, and cloud metadata names; leaves other names to delivery", () => {
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "[::1]")).toBe("::1 is a loopback address (::1/128)");
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "localhost")).toBe("localhost always names this machine (RFC 6761): 127.0.0.1 is a loopback address (127.0.0.0/8)");
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "Receiver.LOCALHOST.")).toMatch(/^receiver\.localhost always names this machine/);
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "metadata.google.internal")).toBe(
      "metadata.google.internal names a cloud metadata service: 169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32)",
    );
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "metadata")).toBeDefined();
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "app.example.com")).toBeUndefined();
    expect(checkDestinationHost(PUBLIC_DESTINATIONS_ONLY, "notlocalhost")).toBeUndefined();
  });

  it("admits localhost only when both 127.0.0.1 and ::1 are allowed", () => {
    expect(checkDestinationHost(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "true" }), "localhost")).toBeUndefined();
    expect(checkDestinationHost(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "127.0.0.0/8,::1" }), "localhost")).toBeUndefined();
    expect(checkDestinationHost(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "127.0.0.0/8" }), "localhost")).toMatch(/::1 is a loopback address/);
  });
});

describe("readDestinationPolicy", () => {
  it("reads unset, empty and false as public addresses only", () => {
    for (const value of [undefined, "", " ", "false"]) expect(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: value })).toEqual(PUBLIC_DESTINATIONS_ONLY);
  });

  it("reads a bare address as just that address", () => {
    expect(readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.1.2.3,fd00::1" }).allowRanges.map((range) => range.text)).toEqual(["10.1.2.3/32", "fd00::1/128"]);
  });

  it.each([
    ["yes", '"yes" does not start with an IPv4 or IPv6 address'],
    ["TRUE", '"TRUE" does not start with an IPv4 or IPv6 address'],
    ["10.0.0.0/33", '"10.0.0.0/33" has a prefix length that is not a number from 0 to 32'],
    ["fd00::/129", '"fd00::/129" has a prefix length that is not a number from 0 to 128'],
    ["10.0.0.0/", '"10.0.0.0/" has a prefix length that is not a number from 0 to 32'],
    ["10.0.0.1/8", '"10.0.0.1/8" has bits set after the first 8; write the range\'s first address'],
    ["10.0.0.0/8,,fd00::/8", '"" is empty (two commas in a row?)'],
    ["10.0.0.0/8,true", '"true" does not start with an IPv4 or IPv6 address'],
    ["10/8", '"10/8" does not start with an IPv4 or IPv6 address'],
  ])("refuses %j, naming the variable and the entry", (value, reason) => {
    expect(() => readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: value })).toThrow(
      `ROSTER_WEBHOOK_ALLOW_PRIVATE: ${reason}; expected true, false, or CIDR ranges separated by commas, such as 10.0.0.0/8,fd00::/8`,
    );
  });
});
