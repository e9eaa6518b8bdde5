import{y as i}from"./el-button-CFRhTi5q.js";const n=o=>["",...i].includes(o);export{n as i};
