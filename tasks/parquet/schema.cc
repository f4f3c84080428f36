#include "tasks/parquet/schema.h"

namespace bhasa::tasks::parquet {
namespace {

constexpr int kMaxDepth = 64;

struct Node {
  const SchemaElement* e = nullptr;
  int def = 0, rep = 0;  // cumulative, this node included
  std::vector<int> children;
  std::string path;
};

class LeafBuilder {
 public:
  explicit LeafBuilder(const std::vector<SchemaElement>& schema) : schema_(schema) {}

  std::vector<Leaf> Build() {
    size_t next = 0;
    const int root = Parse(next, 0, 0, "", 0);
    if (next != schema_.size()) throw Error("schema: " + std::to_string(schema_.size() - next) + " elements after the root's children");
    std::vector<Leaf> leaves;
    for (int c : nodes_[root].children) {
      AssemblyStep enter;
      enter.enter = AssemblyStep::Enter::kKey;
      enter.key = nodes_[c].e->name;
      Walk(c, enter, false, {}, leaves);
    }
    return leaves;
  }

 private:
  int Parse(size_t& next, int def, int rep, const std::string& prefix, int depth) {
    if (depth > kMaxDepth) throw Error("schema: nested deeper than " + std::to_string(kMaxDepth));
    if (next >= schema_.size()) throw Error("schema: a group names more children than the schema holds");
    const SchemaElement& e = schema_[next++];
    Node n;
    n.e = &e;
    const bool is_root = depth == 0;
    n.def = def + (!is_root && e.repetition != Repetition::kRequired);
    n.rep = rep + (!is_root && e.repetition == Repetition::kRepeated);
    n.path = is_root ? "" : prefix.empty() ? e.name : prefix + "." + e.name;
    if (!e.type && e.num_children == 0 && !is_root) throw Error("schema: group '" + n.path + "' has no children");
    if (e.type && e.num_children > 0) throw Error("schema: column '" + n.path + "' has children");
    for (int i = 0; i < e.num_children; ++i) {
      const int c = Parse(next, n.def, n.rep, n.path, depth + 1);
      n.children.push_back(c);
    }
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size()) - 1;
  }

  bool IsList(const SchemaElement& e) const { return e.logical_list || e.converted_type == kConvertedList; }
  bool IsMap(const SchemaElement& e) const {
    return e.logical_map || e.converted_type == kConvertedMap || e.converted_type == kConvertedMapKeyValue;
  }

  // Appends the steps for node `i` (entered by `enter`); `repeat_consumed`
  // when a list step already stands for this node's repetition.
  void Walk(int i, AssemblyStep step, bool repeat_consumed, std::vector<AssemblyStep> steps, std::vector<Leaf>& leaves) {
    const Node& n = nodes_[i];
    const SchemaElement& e = *n.e;
    const bool repeated = e.repetition == Repetition::kRepeated && !repeat_consumed;
    if (repeated) {
      // A repeated field outside a LIST/MAP annotation: a list of itself.
      step.shape = AssemblyStep::Shape::kList;
      step.elements_from = n.def;
      step.rep = n.rep;
      steps.push_back(step);
      Walk(i, AssemblyStep{}, true, std::move(steps), leaves);
      return;
    }
    if (e.repetition == Repetition::kOptional) step.null_below = n.def;
    if (e.type) {
      step.shape = AssemblyStep::Shape::kValue;
      steps.push_back(step);
      leaves.push_back(Leaf{n.path, *e.type, n.def, n.rep, std::move(steps)});
      return;
    }
    if ((IsList(e) || IsMap(e)) && n.children.size() == 1 &&
        nodes_[n.children[0]].e->repetition == Repetition::kRepeated) {
      const int r = n.children[0];
      const Node& rn = nodes_[r];
      step.shape = AssemblyStep::Shape::kList;
      step.elements_from = rn.def;
      step.rep = rn.rep;
      step.map_entries = IsMap(e);
      steps.push_back(step);
      if (step.map_entries) {
        if (rn.e->type || rn.children.empty() || rn.children.size() > 2) throw Error("schema: map '" + n.path + "' entries are not key/value groups");
        for (size_t k = 0; k < rn.children.size(); ++k) {
          AssemblyStep entry;
          entry.enter = AssemblyStep::Enter::kPosition;
          entry.position = static_cast<int>(k);
          Walk(rn.children[k], entry, false, steps, leaves);
        }
        return;
      }
      // Three-level lists wrap the element in a one-child repeated group;
      // the older two-level forms make the repeated node the element itself.
      const bool three_level = !rn.e->type && rn.children.size() == 1 && rn.e->name != "array" &&
                               rn.e->name != e.name + "_tuple";
      if (three_level) Walk(rn.children[0], AssemblyStep{}, false, std::move(steps), leaves);
      else Walk(r, AssemblyStep{}, true, std::move(steps), leaves);
      return;
    }
    step.shape = AssemblyStep::Shape::kObject;
    steps.push_back(step);
    for (int c : n.children) {
      AssemblyStep child;
      child.enter = AssemblyStep::Enter::kKey;
      child.key = nodes_[c].e->name;
      Walk(c, child, false, steps, leaves);
    }
  }

  const std::vector<SchemaElement>& schema_;
  std::vector<Node> nodes_;
};

}  // namespace

std::vector<Leaf> BuildLeaves(const std::vector<SchemaElement>& schema) { return LeafBuilder(schema).Build(); }

}  // namespace bhasa::tasks::parquet
