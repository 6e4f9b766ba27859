let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const params = JSON.parse(input);
  console.log(JSON.stringify({ doubled: params.n * 2, exec: process.env.ATTUNE_EXEC_ID }));
});
