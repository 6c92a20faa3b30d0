// rfa-report, the one report assembler: the claims table from the parts' claims.tsv in the declared order, an
// untested claim answered by the row the map names (and only when that row is tested), sections under their
// declared titles with links made relative to the report, parts.tsv's timings and failures, and malformed parts
// refused without a report half-written; and the one verdict function over the paper's values.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "atomic_file.hpp"
#include "cli_util.hpp"
#include "paper_claims.hpp"

using rfa::read_file;
using rfa::write_file_atomic;
using rfa::test::run_program;
namespace fs = std::filesystem;

namespace {
void part(const rfa::test::TempDir& dir, const std::string& name, const std::string& section, const std::string& claims) {
  fs::create_directories(dir / name);
  write_file_atomic(dir / (name + "/section.md"), section);
  write_file_atomic(dir / (name + "/claims.tsv"), claims);
}
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}
}  // namespace

TEST_CASE("rfa-report: the claims table, the scale study's answers, titles, links, timings and failures") {
  rfa::test::TempDir dir("report");
  part(dir, "fig2", "## Figure 2: training\n\n![Figure 2](fig2.png)\n",
       "fig2.jump\tthe jump\t2-3 x 10^2\t3\tdisagree\tfrom the run\n"
       "fig2.low.train\ttrain about 95%\tabout 95%\t85.0% at step 300\tuntested\tshort horizon\n"
       "fig2.low.harmful\ttest about 79%\tabout 79%\t84.0% at step 300\tuntested\tshort horizon\n");
  part(dir, "fig1", "## Figure 1\n\nsee [the paper](https://example.org) and ![f](fig1.png)\n",
       "fig1.clean\tclean right | all\t100%\t100%\tagree\tnote\n");
  part(dir, "scale", "## Scale\n", "scale.train\tscale train\tabout 95%\t94.8% at 10^7\tagree\tmeasured; by step-size "
                                   "equivalence: at alpha = 10\n"
                                   "scale.test\tscale test\tabout 79%\tnot reached\tuntested\tshort\n");
  part(dir, "fig2-reference", "## Figure 2: training\n\n![Figure 2](fig2.png)\n",
       "fig2.low.train\tnot in the table\tx\ty\tagree\tz\n");
  write_file_atomic(dir / "parts.tsv", "Figure 1\t1.5\t0\nFigure 2\t12.0\t1\n");
  const auto r = run_program("rfa-report", "--profile quick --threads 2 --out " + dir.path.string());
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const std::string report = read_file(dir / "REPORT.md");
  // Rows in the declared order (fig1 before fig2, the scale study last), '|' escaped, counts over the rows.
  CHECK(report.find("3 agree, 0 partly, 1 disagree, 2 untested at this profile's horizon.") != std::string::npos);
  CHECK(report.find("clean right \\| all") < report.find("| the jump |"));
  CHECK(report.find("| the jump |") < report.find("| scale train |"));
  CHECK(report.find("not in the table") == std::string::npos);  // the reference part answers no claim of its own
  // fig2.low.train takes scale.train's verdict, saying so, and so does the mark of a verdict obtained by step-size
  // equivalence; fig2.low.harmful stays untested (scale.test is).
  CHECK(report.find("| train about 95% | about 95% | 85.0% at step 300 | **agree** | untested at this profile's horizon "
                    "(85.0% at step 300); the verdict is the scale study's, at 94.8% at 10^7, by step-size equivalence: "
                    "at alpha = 10 |") != std::string::npos);
  CHECK(report.find("| test about 79% | about 79% | 84.0% at step 300 | **untested** | short horizon |") !=
        std::string::npos);
  CHECK(report.find("| scale train | about 95% | 94.8% at 10^7 | **agree** | committed reference runs") !=
        std::string::npos);
  CHECK(report.find("- the jump: paper 2-3 x 10^2, ours 3. from the run") != std::string::npos);
  // The same table as data.
  const std::string claims = read_file(dir / "claims.tsv");
  CHECK(count(claims, "\n") == 6);
  CHECK(claims.find("fig2.low.train\ttrain about 95%\tabout 95%\t85.0% at step 300\tagree\t") != std::string::npos);
  // Sections in the declared order, the reference part under its title, links relative to the report.
  CHECK(report.find("![f](fig1/fig1.png)") != std::string::npos);
  CHECK(report.find("[the paper](https://example.org)") != std::string::npos);
  CHECK(report.find("![Figure 2](fig2/fig2.png)") != std::string::npos);
  CHECK(report.find("## Figure 2's (5000, 300) panel past the paper's onset (committed reference run)\n\n"
                    "![Figure 2](fig2-reference/fig2.png)") != std::string::npos);
  CHECK(count(report, "## Figure 2: training") == 1);
  CHECK(report.find("## Figure 1") < report.find("## Figure 2: training"));
  CHECK(report.find("## Figure 2: training") < report.find("## Scale"));
  // Timings and the failed part.
  CHECK(report.find("| Figure 2 | 12.0 s |") != std::string::npos);
  CHECK(report.find("## Parts that failed\n\n- Figure 2 (exit code 1)\n") != std::string::npos);

  SUBCASE("a malformed part is refused, naming the file and line, and the report is left as it was") {
    write_file_atomic(dir / "scale/claims.tsv", "scale.train\tonly\tfour\tfields\n");
    const auto bad = run_program("rfa-report", "--out " + dir.path.string());
    CHECK(bad.code == 2);
    CHECK(bad.output.find("scale/claims.tsv:1: 4 tab-separated fields, expected 6") != std::string::npos);
    CHECK(read_file(dir / "REPORT.md") == report);
    write_file_atomic(dir / "scale/claims.tsv", "scale.train\ta\tb\tc\tfine\td\n");
    CHECK(run_program("rfa-report", "--out " + dir.path.string()).output.find("verdict 'fine'") != std::string::npos);
    write_file_atomic(dir / "scale/claims.tsv", "");
    write_file_atomic(dir / "parts.tsv", "Figure 1\t1.5\tzero\n");
    CHECK(run_program("rfa-report", "--out " + dir.path.string()).code == 2);
    write_file_atomic(dir / "parts.tsv", "Figure 1\tfast\t0\n");
    CHECK(run_program("rfa-report", "--out " + dir.path.string()).output.find("wall time 'fast'") != std::string::npos);
  }
  SUBCASE("bad flags") {
    CHECK(run_program("rfa-report", "--out " + (dir / "missing")).code == 2);
    CHECK(run_program("rfa-report", "--profile fast --out " + dir.path.string()).code == 2);
    CHECK(run_program("rfa-report", "--threads 0 --out " + dir.path.string()).code == 2);
  }
}

TEST_CASE("rfa-report: a candidate setting's Figure 2 rows beside the stated settings' rows of the same claim") {
  rfa::test::TempDir dir("report_candidate");
  part(dir, "fig2", "## Figure 2: training\n",
       "fig2.high.jump\tthe jump\t2-3 x 10^2\tat step 3\tdisagree\tstated\n"
       "fig2.high.plateau\tthe plateau\tabout 85%\t85.0%\tagree\tstated\n");
  part(dir, "fig2-unit", "## Figure 2: training\n",
       "fig2.high.jump\tthe jump\t2-3 x 10^2\tat step 200\tagree\tcandidate\n"
       "fig2.high.memorize\tto 100%\t~2 x 10^5\t100% at step 125893\tagree\tcandidate\n");
  // The (5000, 300) candidate's stated rows are the rescaled stated runs' (fig2-alpha10), not the profile's fig2.
  part(dir, "fig2-alpha10", "## Figure 2: training\n", "fig2.low.train\ttrain\tabout 95%\t94.5%\tagree\tstated-rescaled\n");
  part(dir, "fig2-low-unit", "## Figure 2: training\n",
       "fig2.low.train\ttrain\tabout 95%\t93.1%\tpartly\tcandidate\n"
       "fig2.low.harmful\ttest\tabout 79%\t82.5%\tdisagree\tcandidate\n");
  const auto r = run_program("rfa-report", "--out " + dir.path.string());
  REQUIRE_MESSAGE(r.code == 0, r.output);
  const std::string report = read_file(dir / "REPORT.md");
  const auto at = report.find("## One set of settings for Figure 2: the stated init beside a candidate");
  REQUIRE(at != std::string::npos);
  // Each of the candidate's rows, with the stated settings' row of the same id beside it ("-" where there is none);
  // the candidate's rows stay out of the claims table (their ids are the stated rows').
  CHECK(report.find("| fig2.high.jump | 2-3 x 10^2 | at step 3 | disagree | at step 200 | agree |", at) != std::string::npos);
  CHECK(report.find("| fig2.high.memorize | ~2 x 10^5 | - | - | 100% at step 125893 | agree |", at) != std::string::npos);
  CHECK(count(report, "at step 200") == 1);
  CHECK(report.find("not its stated setting", at) != std::string::npos);
  const auto low = report.find("### The (5000, 300) panel by step-size equivalence", at);
  REQUIRE(low != std::string::npos);
  CHECK(report.find("| fig2.low.train | about 95% | 94.5% | agree | 93.1% | partly |", low) != std::string::npos);
  // A candidate's disagree row is named and said to be unexplained; the first table has none, so no such line.
  CHECK(report.find("The candidate disagrees on fig2.low.harmful (82.5%; the stated settings: not run): unexplained.",
                    low) != std::string::npos);
  CHECK(count(report, "The candidate disagrees on") == 1);
}

TEST_CASE("the paper's values: agree within the tolerance at the paper's step, disagree outside, untested before") {
  using rfa::cli::verdict;
  const rfa::cli::PaperValue v = rfa::cli::paper_value("fig2.low.harmful");  // 79% within 2 points at 10^7
  CHECK(v.value == 0.79);
  CHECK(std::string(verdict(v, 0.80, 10000000)) == "agree");
  CHECK(std::string(verdict(v, 0.7699, 10000000)) == "disagree");
  CHECK(std::string(verdict(v, 0.79, 9999999)) == "untested");
  CHECK(std::string(verdict(v, 0.79, 20000000)) == "agree");
  CHECK(std::string(verdict(v, 0.80)) == "agree");  // no step given: the step is not checked
  // The trend over sizes is judged against the same number as the panel.
  CHECK(rfa::cli::paper_value("scale.test").value == v.value);
}

TEST_CASE("the claims table: each key once, every row's words filled, numbers only where a claim has one") {
  using namespace rfa::cli;
  std::set<std::string> keys;
  for (const PaperClaim& c : paper_claims()) CHECK_MESSAGE(keys.insert(c.key).second, c.key);
  const Claim row = paper_claim("fig2.jump", {"low", "(n, d) = (5000, 300)"}, "at step 3", "disagree", "note");
  CHECK(row.id == "fig2.low.jump");
  CHECK(row.claim == "Figure 2 (n, d) = (5000, 300): accuracy sits at 50% until about 2-3 x 10^2 steps, then jumps");
  CHECK(row.paper == "jump at 200-300 steps");
  CHECK(row.ours == "at step 3");
  const Claim lemma4 = paper_claim("amp.lemma4", {"fig2", "Fig. 2 settings", "46.0%", "0.1"}, "", "agree", "");
  CHECK(lemma4.id == "amp.fig2.lemma4");
  CHECK(lemma4.paper == "each P(Z >= c) = 46.0% of its half under a Gaussian init (c = 0.1)");
  CHECK_THROWS_AS(paper_claim("fig2.jump", {"low"}, "", "agree", ""), std::logic_error);  // $2 left unfilled
  CHECK_THROWS_AS(paper_claim("no.such", {}, "", "agree", ""), std::logic_error);
  CHECK_THROWS_AS(paper_value("fig1.boundary"), std::logic_error);
}
