//! Aggregation of respondents into survey cells with every total.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, StringArray, UInt32Array};
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use oppvekst_schema::Catalogue;
use oppvekst_schema::contracts::survey_cells_schema;
use oppvekst_schema::dims::SchoolLevel;

use crate::{AnswerColumn, Respondents};

/// Gender codes of survey cells (defined once, in the schema crate).
pub use oppvekst_schema::dims::GENDER_CODES as GENDERS;
/// Grade codes of survey cells (defined once, in the schema crate).
pub use oppvekst_schema::dims::GRADE_CODES as GRADES;
/// Grade label (nb) for a cell grade code (defined once, in the schema crate).
pub use oppvekst_schema::dims::grade_label;

/// One aggregated cell: how many answered "yes" (numerator) of those who answered (denominator).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SurveyCell {
    /// Indicator id.
    pub indicator: String,
    /// Today's municipality number.
    pub municipality: String,
    /// Survey year.
    pub survey_year: i32,
    /// Grade code (see [`GRADES`]).
    pub grade: String,
    /// Gender code (see [`GENDERS`]).
    pub gender: String,
    /// Respondents with the trait.
    pub numerator: u32,
    /// Respondents with a valid answer.
    pub denominator: u32,
}

/// All survey cells of a run, sorted by indicator, municipality, year, grade, gender.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyCells {
    /// The cells.
    pub cells: Vec<SurveyCell>,
}

impl SurveyCells {
    /// Arrow form with the contract schema.
    pub fn to_record_batch(&self) -> Result<(Arc<Schema>, RecordBatch), ArrowError> {
        let schema = Arc::new(survey_cells_schema());
        let c = &self.cells;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|x| &x.indicator),
            )),
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|x| &x.municipality),
            )),
            Arc::new(Int32Array::from_iter_values(
                c.iter().map(|x| x.survey_year),
            )),
            Arc::new(StringArray::from_iter_values(c.iter().map(|x| &x.grade))),
            Arc::new(StringArray::from_iter_values(c.iter().map(|x| &x.gender))),
            Arc::new(UInt32Array::from_iter_values(c.iter().map(|x| x.numerator))),
            Arc::new(UInt32Array::from_iter_values(
                c.iter().map(|x| x.denominator),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols)?;
        Ok((schema, batch))
    }
}

/// Inner counts of one (indicator, municipality, year): [grade 8..13][gutt, jente] → (yes, valid).
type Block = [[(u32, u32); 2]; 6];

/// Aggregates respondents into cells for every catalogue indicator, with totals over gender
/// (alle) and over grades (ungdomstrinn = 8+9+10, videregaende = VG1+VG2+VG3).
pub fn aggregate(resp: &Respondents, cat: &Catalogue) -> SurveyCells {
    let mut a = Aggregator::new(cat);
    a.add(resp);
    a.finish()
}

/// Aggregation chunk by chunk (counts add up, so the order of chunks does not matter):
/// [`Aggregator::add`] each chunk of respondents, then [`Aggregator::finish`].
pub struct Aggregator<'c> {
    cat: &'c Catalogue,
    /// Column index of every item each indicator reads.
    plans: Vec<Vec<Option<usize>>>,
    /// (year, municipality) → its blocks in `blocks` (a lookup only, never iterated, so a
    /// fast hash keeps the output deterministic).
    index: hashbrown::HashMap<i32, hashbrown::HashMap<String, usize>>,
    /// One block per indicator for each (year, municipality), in `keys` order.
    blocks: Vec<Vec<Block>>,
    keys: Vec<(i32, String)>,
    /// Block and cell of each row of the chunk being added.
    rows: Vec<(usize, usize, usize)>,
    answers: Vec<Option<i64>>,
}

impl<'c> Aggregator<'c> {
    /// An empty aggregation for respondents with the catalogue's codebook items.
    pub fn new(cat: &'c Catalogue) -> Self {
        let plans = cat
            .indicators
            .iter()
            .map(|ind| {
                ind.rule
                    .items()
                    .iter()
                    .map(|it| cat.codebook.items.iter().position(|x| &x.id == it))
                    .collect()
            })
            .collect();
        Aggregator {
            cat,
            plans,
            index: hashbrown::HashMap::new(),
            blocks: Vec::new(),
            keys: Vec::new(),
            rows: Vec::new(),
            answers: Vec::new(),
        }
    }

    /// Adds the respondents of one chunk: first where each row counts, then indicator by
    /// indicator (each reads a few answer columns from top to bottom).
    pub fn add(&mut self, resp: &Respondents) {
        self.rows.clear();
        for r in 0..resp.len() {
            let gi = (resp.grade[r] - 8) as usize;
            let si = usize::from(resp.gender.get(r) == Some("jente"));
            if gi >= 6 {
                continue; // unreachable for validated rows: grades are 8..=13
            }
            let year = resp.survey_year[r];
            let mun = resp.municipality.get(r).unwrap_or("");
            let by_mun = self.index.entry(year).or_default();
            let block = match by_mun.get(mun) {
                Some(&b) => b,
                None => {
                    self.blocks
                        .push(vec![[[(0, 0); 2]; 6]; self.cat.indicators.len()]);
                    self.keys.push((year, mun.to_owned()));
                    by_mun.insert(mun.to_owned(), self.blocks.len() - 1);
                    self.blocks.len() - 1
                }
            };
            self.rows.push((r, block, gi * 2 + si));
        }
        for (ii, ind) in self.cat.indicators.iter().enumerate() {
            // The stored answers of the indicator's items (None: the file lacks the item).
            let columns: Vec<Option<&[i8]>> = self.plans[ii]
                .iter()
                .map(|c| c.and_then(|c| resp.answers.get(c)).map(AnswerColumn::raw))
                .collect();
            for &(r, block, cell) in &self.rows {
                if !ind.covers(resp.survey_year[r]) {
                    continue;
                }
                self.answers.clear();
                self.answers.extend(columns.iter().map(|c| {
                    c.and_then(|c| c.get(r).copied())
                        .filter(|&a| a != AnswerColumn::MISSING)
                        .map(i64::from)
                }));
                if let Some(yes) = ind.rule.evaluate(&self.answers) {
                    let cell = &mut self.blocks[block][ii][cell / 2][cell % 2];
                    cell.1 += 1;
                    cell.0 += u32::from(yes);
                }
            }
        }
    }

    /// The cells with every total, sorted (the `survey_cells` stage file).
    pub fn finish(self) -> SurveyCells {
        self.cells(true)
    }

    /// The inner cells only (single grades, single genders), sorted: what disclosure control
    /// takes, which computes every total itself, once.
    pub fn finish_leaves(self) -> SurveyCells {
        self.cells(false)
    }

    fn cells(self, totals: bool) -> SurveyCells {
        let cat = self.cat;
        let blocks: BTreeMap<(String, i32), Vec<Block>> = self
            .keys
            .into_iter()
            .zip(self.blocks)
            .map(|((year, mun), b)| ((mun, year), b))
            .collect();
        let mut cells =
            Vec::with_capacity(blocks.len() * cat.indicators.len() * GRADES.len() * GENDERS.len());
        for (ii, indicator) in cat.indicators.iter().enumerate() {
            for ((mun, year), per_indicator) in &blocks {
                let block = &per_indicator[ii];
                // Nobody answered (the indicator's items were not asked that year, or the
                // file lacks them): no figure, not a table of zeros.
                if block.iter().flatten().all(|c| c.1 == 0) {
                    continue;
                }
                for grade in GRADES {
                    if !totals && SchoolLevel::from_code(grade).is_some() {
                        continue;
                    }
                    let members: &[usize] = match grade {
                        "8" => &[0],
                        "9" => &[1],
                        "10" => &[2],
                        "ungdomstrinn" => &[0, 1, 2],
                        "VG1" => &[3],
                        "VG2" => &[4],
                        "VG3" => &[5],
                        _ => &[3, 4, 5],
                    };
                    for (gs, gender) in GENDERS.iter().enumerate() {
                        if !totals && gs == 2 {
                            continue;
                        }
                        let sexes: &[usize] = if gs == 2 {
                            &[0, 1]
                        } else {
                            std::slice::from_ref(&gs)
                        };
                        let (mut num, mut den) = (0, 0);
                        for &g in members {
                            for &s in sexes {
                                num += block[g][s].0;
                                den += block[g][s].1;
                            }
                        }
                        cells.push(SurveyCell {
                            indicator: indicator.id.clone(),
                            municipality: mun.clone(),
                            survey_year: *year,
                            grade: grade.to_owned(),
                            gender: (*gender).to_owned(),
                            numerator: num,
                            denominator: den,
                        });
                    }
                }
            }
        }
        SurveyCells { cells }
    }
}
