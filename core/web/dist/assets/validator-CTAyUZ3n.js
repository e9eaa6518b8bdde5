import{y as i}from"./el-button-GHfcxwg2.js";const n=o=>["",...i].includes(o);export{n as i};
